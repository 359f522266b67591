// Live sessions for the sessions view, fed only by the controller's queued signals
// Lives in the GUI thread.
//
// Changes are queued and applied by a throttle: the first change after a quiet spell starts
// the flush timer, later changes never restart it, so a busy gateway is flushed once per
// FlushIntervalMs however many events arrive (a debounce would never flush under load).
// Pending state is bounded by the live sessions: one entry per session id, and closes are
// kept only for rows that are on screen.
//
// A flush emits, in order: removals (contiguous ranges, highest rows first), the new sessions
// as one appended block, then updates as per-row dataChanged, or one whole-table dataChanged
// when more than half of the rows (or more than MaxRowSignals) changed. A reset happens only
// when the removals fall into more than MaxRowSignals ranges; updates never reset.
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
    static constexpr int RawDataRole = Qt::UserRole; // sortable raw values
    static constexpr int SessionIdRole = Qt::UserRole + 1;
    static constexpr int FlushIntervalMs = 250;
    // Above this many row signals in one flush, one bigger signal is cheaper for the
    // proxy and the view than many small ones.
    static constexpr int MaxRowSignals = 64;

    explicit SessionTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    SeaCat::SessionInfo session(int row) const { return m_rows.value(row); }
    // The Connected column: the time for a session from `today`, else the date.
    static QString formatSince(const QDateTime &localSince, const QDate &today);
    // The row showing session `id`, or -1.
    int rowOf(quint64 id) const { return m_rowOf.value(id, -1); }
    // Sessions opened, closed or updated but not yet applied (bounded by the live sessions).
    qsizetype pendingCount() const { return m_pending.size() + m_closed.size(); }

public slots:
    void addSession(const SeaCat::SessionInfo &info);
    void removeSession(quint64 id);
    void updateSessions(const QList<SeaCat::SessionInfo> &sessions);
    void clear();
    // Applies what is queued now (tests and the flush timer call it).
    void flush();

signals:
    // After each flush that changed something: the views refresh what depends on a row once.
    void flushed();

private:
    void scheduleFlush();
    void removeClosedRows();
    void reindexFrom(int row);

    QList<SeaCat::SessionInfo> m_rows;
    QHash<quint64, int> m_rowOf;
    QHash<quint64, SeaCat::SessionInfo> m_pending; // opened or updated, not yet shown
    QSet<quint64> m_closed;                        // shown, closed, not yet removed
    QTimer m_flushTimer;
};
