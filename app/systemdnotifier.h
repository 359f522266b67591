// Tells systemd how the service is doing (sd_notify(3), README "sd_notify"): READY=1 once
// listening, STATUS= lines, RELOADING=1 / READY=1 around a reload, STOPPING=1. Without
// $NOTIFY_SOCKET (not started by systemd with Type=notify) every call does nothing.
//
// The protocol is one datagram on the Unix socket named by $NOTIFY_SOCKET (a path, or '@' for
// the abstract namespace), documented as stable; writing it here costs a dozen lines and keeps
// libsystemd out of a binary that also runs as a desktop program.
#pragma once

#include <QByteArray>

class SystemdNotifier final
{
public:
    SystemdNotifier();
    ~SystemdNotifier();
    SystemdNotifier(const SystemdNotifier &) = delete;
    SystemdNotifier &operator=(const SystemdNotifier &) = delete;

    bool isActive() const { return m_socket >= 0; }
    // One datagram of newline-separated KEY=VALUE assignments; false when it was not sent.
    bool notify(const QByteArray &state);
    // RELOADING=1 with the MONOTONIC_USEC= that systemd 253's Type=notify-reload asks for.
    bool notifyReloading();

private:
    int m_socket = -1;
    QByteArray m_address; // sockaddr_un bytes
};
