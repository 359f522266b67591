#include "activitychart.h"

#include <QPainter>
#include <QPainterPath>

ActivityChart::ActivityChart(QWidget *parent) : QWidget(parent)
{
    setMinimumHeight(110);
}

void ActivityChart::addSample(double requestsPerSecond, int sessions)
{
    m_requests.append(requestsPerSecond);
    m_sessions.append(sessions);
    if (m_requests.size() > MaxSamples) {
        m_requests.removeFirst();
        m_sessions.removeFirst();
    }
    update();
}

void ActivityChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QRectF area = rect().adjusted(8, 22, -8, -8);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().mid().color());
    p.drawRect(area);

    auto plot = [&](auto values, const QColor &color, const QString &label, int labelX) {
        double top = 1;
        for (const auto v : values)
            top = qMax(top, double(v));
        QPainterPath path;
        const double step = area.width() / (MaxSamples - 1);
        const double x0 = area.right() - step * (values.size() - 1);
        for (qsizetype i = 0; i < values.size(); ++i) {
            const QPointF point(x0 + step * i, area.bottom() - area.height() * double(values[i]) / top);
            i == 0 ? path.moveTo(point) : path.lineTo(point);
        }
        p.setPen(QPen(color, 2));
        p.drawPath(path);
        p.drawText(QPointF(labelX, 15), QStringLiteral("%1 (max %2)").arg(label).arg(top, 0, 'f', 0));
    };
    plot(m_requests, QColor(0x1f, 0x77, 0xb4), tr("requests/s"), 8);
    plot(m_sessions, QColor(0xff, 0x7f, 0x0e), tr("sessions"), int(width() / 2));
}
