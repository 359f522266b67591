// Log tab: the engine's log lines (rejections of HTTPS clients among them) with a level filter.
// Keeps the last MaxLines lines.
#pragma once

#include "sessioninfo.h"

#include <QWidget>

class QComboBox;
class QPlainTextEdit;

class LogView final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int MaxLines = 5'000;
    explicit LogView(QWidget *parent = nullptr);
    QString text() const;
    QComboBox *levelFilter() const { return m_level; }

public slots:
    void append(SeaCat::LogLevel level, const QString &message);

private:
    void rebuild();

    struct Line {
        SeaCat::LogLevel level;
        QString text;
    };
    QList<Line> m_lines;
    QComboBox *m_level;
    QPlainTextEdit *m_view;
};
