#include "activitychart.h"

#include <QPainter>
#include <QPainterPath>

namespace {
const QColor RequestsColor(0x1f, 0x77, 0xb4);
const QColor SessionsColor(0xff, 0x7f, 0x0e);
} // namespace

ActivityChart::ActivityChart(QWidget *parent) : QWidget(parent)
{
    setMinimumHeight(130);
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
    const QFontMetrics metrics = p.fontMetrics();
    const int line = metrics.height();
    // Room for the legend above, the time axis below and a scale on each side.
    const int side = metrics.horizontalAdvance(QStringLiteral("00000")) + 8;
    const QRectF area = rect().adjusted(side, line + 8, -side, -(line + 6));
    p.fillRect(rect(), palette().base());

    // Time axis: one tick a minute, the newest sample at the right edge.
    const double perMinute = area.width() * (60'000.0 / SampleIntervalMs) / (MaxSamples - 1);
    p.setPen(palette().mid().color());
    p.drawRect(area);
    for (int minute = 0; minute <= MaxSamples * SampleIntervalMs / 60'000; ++minute) {
        const double x = area.right() - perMinute * minute;
        if (minute > 0)
            p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
        const QString label = minute == 0 ? tr("now") : tr("−%1 min").arg(minute);
        const double w = metrics.horizontalAdvance(label);
        p.setPen(palette().text().color());
        p.drawText(QPointF(qBound(0.0, x - w / 2, width() - w), area.bottom() + line), label);
        p.setPen(palette().mid().color());
    }

    // Each series on its own scale from 0 to its maximum, printed on its side in its colour.
    auto plot = [&](auto values, const QColor &color, bool leftScale) {
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
        const QString max = QString::number(top, 'f', top < 10 && top != int(top) ? 1 : 0);
        const double x = leftScale ? area.left() - 4 - metrics.horizontalAdvance(max) : area.right() + 4;
        const double zeroX =
            leftScale ? area.left() - 4 - metrics.horizontalAdvance(QStringLiteral("0")) : area.right() + 4;
        p.drawText(QPointF(x, area.top() + metrics.ascent()), max);
        p.drawText(QPointF(zeroX, area.bottom()), QStringLiteral("0"));
    };
    plot(m_requests, RequestsColor, true);
    plot(m_sessions, SessionsColor, false);

    // Legend: a swatch and the series with its unit and scale side.
    double x = area.left();
    for (const auto &[color, label] : {std::pair{RequestsColor, tr("requests per second (left scale)")},
                                       std::pair{SessionsColor, tr("open sessions (right scale)")}}) {
        p.setPen(QPen(color, 3));
        p.drawLine(QPointF(x, line / 2.0 + 2), QPointF(x + 18, line / 2.0 + 2));
        p.setPen(palette().text().color());
        p.drawText(QPointF(x + 24, metrics.ascent() + 2), label);
        x += 24 + metrics.horizontalAdvance(label) + 24;
    }
}
