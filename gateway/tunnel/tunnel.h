// One reverse tunnel (README "Reaching a device through its session"): a listener on the
// gateway host whose every accepted connection becomes a TunnelStream on the device's
// session. Owned by that Session, in its worker thread, so it closes with the session.
#pragma once

#include "../loglevel.h"
#include "tunnelinfo.h"

#include <QElapsedTimer>
#include <QObject>
#include <QSet>
#include <QTcpServer>
#include <QTimer>

namespace SeaCat {

class TunnelLink;
class TunnelStream;

class Tunnel final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Tunnel)

public:
    Tunnel(const TunnelRequest &request, quint64 sessionId, const QString &clientTag, TunnelLink *link,
           QObject *parent = nullptr);
    ~Tunnel() override;

    // Binds the listener; returns the error, or "".
    QString listen();
    quint64 id() const { return m_info.id; }
    TunnelInfo info() const;
    const QSet<TunnelStream *> &streams() const { return m_streams; }
    // The session's output is full: no operator of this tunnel is read meanwhile.
    void setPaused(bool paused);
    // Closes every operator connection at once, sending nothing more to the device.
    void abandon();

signals:
    void idleTimedOut(quint64 id);
    void log(SeaCat::LogLevel level, const QString &message);

private:
    void accept();

    TunnelInfo m_info;
    TunnelLink *m_link;
    const int m_idleTimeoutMs;
    QTcpServer m_server{this};
    QSet<TunnelStream *> m_streams;
    QElapsedTimer m_sinceActivity;
    QTimer m_idleCheck{this};
    bool m_paused = false;
};

} // namespace SeaCat
