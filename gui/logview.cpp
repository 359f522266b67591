#include "logview.h"

#include <QComboBox>
#include <QDateTime>
#include <QPlainTextEdit>
#include <QVBoxLayout>

using SeaCat::LogLevel;

LogView::LogView(QWidget *parent) : QWidget(parent), m_level(new QComboBox), m_view(new QPlainTextEdit)
{
    m_level->addItem(tr("Debug and above"), int(LogLevel::Debug));
    m_level->addItem(tr("Info and above"), int(LogLevel::Info));
    m_level->addItem(tr("Warnings and errors"), int(LogLevel::Warning));
    m_level->addItem(tr("Errors only"), int(LogLevel::Error));
    m_level->setCurrentIndex(1);
    m_view->setReadOnly(true);
    m_view->setMaximumBlockCount(MaxLines);
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_level);
    layout->addWidget(m_view, 1);
    connect(m_level, &QComboBox::currentIndexChanged, this, &LogView::rebuild);
}

void LogView::append(LogLevel level, const QString &message)
{
    const QString line = QStringLiteral("%1  %2").arg(QTime::currentTime().toString(Qt::ISODate), message);
    m_lines.append({level, line});
    if (m_lines.size() > MaxLines)
        m_lines.removeFirst();
    if (int(level) >= m_level->currentData().toInt())
        m_view->appendPlainText(line);
}

void LogView::rebuild()
{
    m_view->clear();
    const int minimum = m_level->currentData().toInt();
    for (const Line &line : std::as_const(m_lines))
        if (int(line.level) >= minimum)
            m_view->appendPlainText(line.text);
}

QString LogView::text() const
{
    return m_view->toPlainText();
}
