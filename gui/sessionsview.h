// Sessions tab: the live table (sortable, filterable), a detail pane with the session's
// tunnels, "Open tunnel…" and "Disconnect".
#pragma once

#include "confirmation.h"
#include "sessioninfo.h"
#include "tunnel/tunnelinfo.h"

#include <QMap>
#include <optional>

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
    // Asks for the device port and the listener of a tunnel to `session`; nothing: cancelled.
    // Tests replace it. Default: two input dialogs.
    std::function<std::optional<SeaCat::TunnelRequest>(const SeaCat::SessionInfo &session)> askTunnel;
    QTableView *table() const { return m_table; }
    QLineEdit *filter() const { return m_filter; }
    QPushButton *disconnectButton() const { return m_disconnect; }
    QPushButton *openTunnelButton() const { return m_openTunnel; }
    QLabel *details() const { return m_details; }
    // The session of the selected row, or 0.
    quint64 selectedSessionId() const;

    // README "Reaching a device through its session": the tunnels the engine reports, shown
    // in the detail pane of their session.
    void showTunnel(const SeaCat::TunnelInfo &tunnel);
    void showTunnels(const QList<SeaCat::TunnelInfo> &tunnels);
    void removeTunnel(quint64 tunnelId);

signals:
    void disconnectRequested(quint64 sessionId);
    void tunnelRequested(const SeaCat::TunnelRequest &request);

private:
    void fitColumns();
    void showDetails();
    static QString htmlLines(const QStringList &lines);

    SessionTableModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    QLineEdit *m_filter;
    QPushButton *m_disconnect;
    QPushButton *m_openTunnel;
    QMap<quint64, SeaCat::TunnelInfo> m_tunnels; // open ones, by id: bounded by the engine's limits
    QLabel *m_details;
    quint64 m_keptSessionId = 0;
    bool m_selectedRowRemoved = false;
};
