// A small live chart: requests per second and open sessions over the last 5 minutes, drawn
// with QPainter from the controller's statistics (one sample per update): a time axis with a
// tick a minute, each series on its own scale (requests left, sessions right) and a legend.
#pragma once

#include <QList>
#include <QWidget>

class ActivityChart final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int SampleIntervalMs = 500; // the engine publishes statistics twice a second
    static constexpr int MaxSamples = 600;       // 5 minutes of them

    explicit ActivityChart(QWidget *parent = nullptr);
    void addSample(double requestsPerSecond, int sessions);
    QSize sizeHint() const override { return {480, 150}; }
    int sampleCount() const { return int(m_requests.size()); }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<double> m_requests;
    QList<int> m_sessions;
};
