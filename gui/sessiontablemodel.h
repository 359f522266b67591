// Live sessions for the sessions view, fed only by the controller's queued signals
//. Opens and closes are applied in batches a few times a second, so
// thousands of sessions coming and going cost a few model resets, not a repaint per frame.
#pragma once

#include "sessioninfo.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>
#include <QTimer>

class SessionTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionTableModel)

public:
    enum Column { PeerAddress, Client, Tls, Streams, Requests, BytesIn, BytesOut, Since, LastActivity, ColumnCount };
    static constexpr int RawDataRole = Qt::UserRole;   // sortable raw values
    static constexpr int SessionIdRole = Qt::UserRole + 1;
    static constexpr int FlushIntervalMs = 250;

    explicit SessionTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    SeaCat::SessionInfo session(int row) const { return m_rows.value(row); }

public slots:
    void addSession(const SeaCat::SessionInfo &info);
    void removeSession(quint64 id);
    void updateSessions(const QList<SeaCat::SessionInfo> &sessions);
    void clear();
    // Applies what is queued now (tests and the flush timer call it).
    void flush();

private:
    QList<SeaCat::SessionInfo> m_rows;
    QHash<quint64, int> m_rowOf;
    QHash<quint64, SeaCat::SessionInfo> m_pending;   // opened or updated, not yet shown
    QSet<quint64> m_closed;
    QTimer m_flushTimer;
};
