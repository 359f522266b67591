#include "sessiontablemodel.h"
#include "format.h"
#include "portpolicy.h"

#include <QSet>

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
    case PeerAddress: return tr("Peer");
    case Client: return tr("Client");
    case Tls: return tr("TLS");
    case Streams: return tr("Streams");
    case Requests: return tr("Requests");
    case BytesIn: return tr("In");
    case BytesOut: return tr("Out");
    case Since: return tr("Connected");
    case LastActivity: return tr("Last activity");
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
        case PeerAddress: return s.peerAddress;
        case Client: return s.clientTag;
        case Tls: return s.cipher;
        case Streams: return s.openStreams;
        case Requests: return s.requests;
        case BytesIn: return s.bytesIn;
        case BytesOut: return s.bytesOut;
        case Since: return s.since;
        case LastActivity: return s.lastActivity;
        }
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case PeerAddress: return SeaCat::formatEndpoint(s.peerAddress, s.peerPort);
    case Client: return s.clientTag.isEmpty() ? tr("anonymous") : s.clientTag;
    case Tls: return QStringLiteral("%1 %2").arg(s.tlsProtocol, s.cipher);
    case Streams: return s.openStreams;
    case Requests: return s.requests;
    case BytesIn: return Format::bytes(s.bytesIn);
    case BytesOut: return Format::bytes(s.bytesOut);
    case Since: return QLocale().toString(s.since.toLocalTime(), QLocale::ShortFormat);
    case LastActivity: return QLocale().toString(s.lastActivity.toLocalTime().time(), QLocale::LongFormat);
    }
    return {};
}

void SessionTableModel::addSession(const SeaCat::SessionInfo &info)
{
    m_closed.remove(info.id);
    m_pending.insert(info.id, info);
    m_flushTimer.start();
}

void SessionTableModel::removeSession(quint64 id)
{
    m_pending.remove(id);
    m_closed.insert(id);
    m_flushTimer.start();
}

void SessionTableModel::updateSessions(const QList<SeaCat::SessionInfo> &sessions)
{
    for (const SeaCat::SessionInfo &info : sessions)
        if (!m_closed.contains(info.id))
            m_pending.insert(info.id, info);
    m_flushTimer.start();
}

void SessionTableModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_rowOf.clear();
    m_pending.clear();
    m_closed.clear();
    endResetModel();
}

void SessionTableModel::flush()
{
    m_flushTimer.stop();
    if (m_pending.isEmpty() && m_closed.isEmpty())
        return;
    // Removals and insertions of a batch: one reset when many rows change, else row signals.
    const qsizetype changes = m_closed.size() + m_pending.size();
    const bool reset = changes > 64;
    if (reset) {
        beginResetModel();
        m_rows.removeIf([this](const SeaCat::SessionInfo &s) { return m_closed.contains(s.id); });
        m_rowOf.clear();
        for (int r = 0; r < m_rows.size(); ++r)
            m_rowOf.insert(m_rows.at(r).id, r);
        m_closed.clear();
    }
    for (quint64 id : std::as_const(m_closed)) {
        const int row = m_rowOf.value(id, -1);
        if (row < 0)
            continue;
        beginRemoveRows({}, row, row);
        m_rows.removeAt(row);
        m_rowOf.remove(id);
        for (int r = row; r < m_rows.size(); ++r)
            m_rowOf[m_rows.at(r).id] = r;
        endRemoveRows();
    }
    m_closed.clear();
    for (const SeaCat::SessionInfo &info : std::as_const(m_pending)) {
        const int row = m_rowOf.value(info.id, -1);
        if (row >= 0) {
            m_rows[row] = info;
            if (!reset)
                emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
            continue;
        }
        const int at = int(m_rows.size());
        if (!reset)
            beginInsertRows({}, at, at);
        m_rows.append(info);
        m_rowOf.insert(info.id, at);
        if (!reset)
            endInsertRows();
    }
    m_pending.clear();
    if (reset)
        endResetModel();
}
