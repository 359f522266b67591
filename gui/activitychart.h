// A small live chart: requests per second and open sessions over the last minutes, drawn
// with QPainter from the controller's statistics (one sample per update).
#pragma once

#include <QList>
#include <QWidget>

class ActivityChart final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int MaxSamples = 600; // 5 minutes at two samples a second

    explicit ActivityChart(QWidget *parent = nullptr);
    void addSample(double requestsPerSecond, int sessions);
    QSize sizeHint() const override { return {480, 140}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<double> m_requests;
    QList<int> m_sessions;
};
