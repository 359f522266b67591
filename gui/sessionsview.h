// Sessions tab: the live table (sortable, filterable), a detail pane, and "Disconnect".
#pragma once

#include "confirmation.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class SessionTableModel;

class SessionsView final : public QWidget
{
    Q_OBJECT

public:
    explicit SessionsView(SessionTableModel *model, QWidget *parent = nullptr);
    // Asks before Disconnect; tests replace it. Default: a QMessageBox.
    Confirmation::Ask confirm;
    QTableView *table() const { return m_table; }
    QLineEdit *filter() const { return m_filter; }
    QPushButton *disconnectButton() const { return m_disconnect; }
    QLabel *details() const { return m_details; }
    // The session of the selected row, or 0.
    quint64 selectedSessionId() const;

signals:
    void disconnectRequested(quint64 sessionId);

private:
    void fitColumns();
    void showDetails();
    static QString htmlLines(const QStringList &lines);

    SessionTableModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    QLineEdit *m_filter;
    QPushButton *m_disconnect;
    QLabel *m_details;
    quint64 m_keptSessionId = 0;
    bool m_selectedRowRemoved = false;
};
