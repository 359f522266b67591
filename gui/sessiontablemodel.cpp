#include "sessiontablemodel.h"
#include "portpolicy.h"

#include <algorithm>
#include <functional>

#include <QSet>

#include "format.h"

SessionTableModel::SessionTableModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(FlushIntervalMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &SessionTableModel::flush);
}

int SessionTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SessionTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SessionTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case PeerAddress:
        return tr("Peer");
    case Client:
        return tr("Client");
    case Tls:
        return tr("TLS");
    case Streams:
        return tr("Streams");
    case Requests:
        return tr("Requests");
    case BytesIn:
        return tr("In");
    case BytesOut:
        return tr("Out");
    case Since:
        return tr("Connected");
    case LastActivity:
        return tr("Last activity");
    }
    return {};
}

QVariant SessionTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const SeaCat::SessionInfo &s = m_rows.at(index.row());
    if (role == SessionIdRole)
        return s.id;
    if (role == RawDataRole) {
        switch (index.column()) {
        case PeerAddress:
            return s.peerAddress;
        case Client:
            return s.clientTag.isEmpty() ? s.enrollingClientTag : s.clientTag;
        case Tls:
            return s.cipher;
        case Streams:
            return s.openStreams;
        case Requests:
            return s.requests;
        case BytesIn:
            return s.bytesIn;
        case BytesOut:
            return s.bytesOut;
        case Since:
            return s.since;
        case LastActivity:
            return s.lastActivity;
        }
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case PeerAddress:
        return SeaCat::formatEndpoint(s.peerAddress, s.peerPort);
    case Client:
        if (!s.clientTag.isEmpty())
            return s.clientTag;
        return s.enrollingClientTag.isEmpty() ? tr("anonymous") : tr("enrolling %1").arg(s.enrollingClientTag);
    case Tls:
        return QStringLiteral("%1 %2").arg(s.tlsProtocol, s.cipher);
    case Streams:
        return s.openStreams;
    case Requests:
        return s.requests;
    case BytesIn:
        return Format::bytes(s.bytesIn);
    case BytesOut:
        return Format::bytes(s.bytesOut);
    case Since:
        if (role == Qt::ToolTipRole)
            return QLocale().toString(s.since.toLocalTime(), QLocale::LongFormat);
        return formatSince(s.since.toLocalTime(), QDate::currentDate());
    case LastActivity:
        return s.lastActivity.toLocalTime().time().toString(
            QStringLiteral("HH:mm:ss")); // seconds matter, the zone does not
    }
    return {};
}

QString SessionTableModel::formatSince(const QDateTime &localSince, const QDate &today)
{
    // Narrow either way (the tooltip has both): the default window shows every column.
    return localSince.date() == today ? localSince.time().toString(QStringLiteral("HH:mm:ss"))
                                      : QLocale().toString(localSince.date(), QLocale::ShortFormat);
}

void SessionTableModel::scheduleFlush()
{
    // A throttle: never restarted while running, so a steady stream of events cannot hold
    // the table back (issue 11: a debounce kept a live session out of the table for 15 s).
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void SessionTableModel::addSession(const SeaCat::SessionInfo &info)
{
    m_closed.remove(info.id);
    m_pending.insert(info.id, info);
    scheduleFlush();
}

void SessionTableModel::removeSession(quint64 id)
{
    const bool wasPending = m_pending.remove(id) > 0;
    // Opened and closed within one interval: it never reaches the table, and nothing is kept.
    if (m_rowOf.contains(id))
        m_closed.insert(id);
    else if (!wasPending)
        return;
    scheduleFlush();
}

void SessionTableModel::updateSessions(const QList<SeaCat::SessionInfo> &sessions)
{
    bool any = false;
    for (const SeaCat::SessionInfo &info : sessions) {
        // Only sessions we know of: an update that overtook nothing but trails a close (or a
        // stop's clear()) would otherwise resurrect a row and grow m_pending without bound.
        const bool shown = m_rowOf.contains(info.id) && !m_closed.contains(info.id);
        if (!shown && !m_pending.contains(info.id))
            continue;
        m_pending.insert(info.id, info);
        any = true;
    }
    if (any)
        scheduleFlush();
}

void SessionTableModel::clear()
{
    m_flushTimer.stop();
    beginResetModel();
    m_rows.clear();
    m_rowOf.clear();
    m_pending.clear();
    m_closed.clear();
    endResetModel();
    emit flushed();
}

void SessionTableModel::reindexFrom(int row)
{
    for (int r = row; r < m_rows.size(); ++r)
        m_rowOf.insert(m_rows.at(r).id, r);
}

void SessionTableModel::removeClosedRows()
{
    if (m_closed.isEmpty())
        return;
    QList<int> rows;
    rows.reserve(m_closed.size());
    for (quint64 id : std::as_const(m_closed)) {
        const int row = m_rowOf.value(id, -1);
        if (row >= 0)
            rows.append(row);
        m_rowOf.remove(id);
    }
    m_closed.clear();
    if (rows.isEmpty())
        return;
    std::sort(rows.begin(), rows.end(), std::greater<int>());
    // Contiguous runs (sessions that opened together tend to close together), highest first
    // so the rows still to remove keep their numbers.
    QList<std::pair<int, int>> runs; // first, last
    for (int row : std::as_const(rows)) {
        if (!runs.isEmpty() && runs.last().first == row + 1)
            runs.last().first = row;
        else
            runs.append({row, row});
    }
    if (runs.size() > MaxRowSignals) {
        beginResetModel();
        for (const auto &[first, last] : std::as_const(runs))
            m_rows.remove(first, last - first + 1);
        reindexFrom(rows.last());
        endResetModel();
        return;
    }
    for (const auto &[first, last] : std::as_const(runs)) {
        beginRemoveRows({}, first, last);
        m_rows.remove(first, last - first + 1);
        endRemoveRows();
    }
    reindexFrom(rows.last());
}

void SessionTableModel::flush()
{
    m_flushTimer.stop();
    if (m_pending.isEmpty() && m_closed.isEmpty())
        return;
    removeClosedRows();

    QList<int> updated;
    QList<SeaCat::SessionInfo> added;
    for (const SeaCat::SessionInfo &info : std::as_const(m_pending)) {
        const int row = m_rowOf.value(info.id, -1);
        if (row >= 0) {
            m_rows[row] = info;
            updated.append(row);
        } else {
            added.append(info);
        }
    }
    m_pending.clear();

    if (!added.isEmpty()) {
        // In connection order, as one block: one signal however many arrived.
        std::sort(added.begin(), added.end(), [](const auto &a, const auto &b) { return a.id < b.id; });
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        m_rows.append(added);
        reindexFrom(first);
        endInsertRows();
    }

    if (!updated.isEmpty()) {
        std::sort(updated.begin(), updated.end());
        QList<std::pair<int, int>> runs;
        for (int row : std::as_const(updated)) {
            if (!runs.isEmpty() && runs.last().second == row - 1)
                runs.last().second = row;
            else
                runs.append({row, row});
        }
        // As qBittorrent's TransferListModel: per row while few change, else the whole table
        // in one signal. Either way selection and persistent indexes survive.
        if (runs.size() > MaxRowSignals || updated.size() * 2 > m_rows.size()) {
            emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
        } else {
            for (const auto &[first, last] : std::as_const(runs))
                emit dataChanged(index(first, 0), index(last, ColumnCount - 1));
        }
    }
    emit flushed();
}
