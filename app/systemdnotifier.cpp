#include "systemdnotifier.h"

#include <QStringBuilder> // QByteArray + QByteArray under QT_USE_QSTRINGBUILDER

#include <cstring>
#include <ctime>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

SystemdNotifier::SystemdNotifier()
{
    const QByteArray path = qgetenv("NOTIFY_SOCKET");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if ((path.size() < 2 || (path[0] != '/' && path[0] != '@')) || size_t(path.size()) > sizeof address.sun_path)
        return;
    memcpy(address.sun_path, path.constData(), size_t(path.size()));
    if (path[0] == '@')
        address.sun_path[0] = '\0'; // the abstract namespace
    m_address =
        QByteArray(reinterpret_cast<const char *>(&address), qsizetype(offsetof(sockaddr_un, sun_path)) + path.size());
    m_socket = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

SystemdNotifier::~SystemdNotifier()
{
    if (m_socket >= 0)
        ::close(m_socket);
}

bool SystemdNotifier::notify(const QByteArray &state)
{
    if (m_socket < 0)
        return false;
    // Non-blocking: a stuck service manager must not stall the gateway's main thread.
    return ::sendto(m_socket, state.constData(), size_t(state.size()), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr *>(m_address.constData()),
                    socklen_t(m_address.size())) == state.size();
}

bool SystemdNotifier::notifyReloading()
{
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const qint64 usec = qint64(now.tv_sec) * 1'000'000 + now.tv_nsec / 1'000;
    return notify(QByteArrayLiteral("RELOADING=1\nMONOTONIC_USEC=") + QByteArray::number(usec));
}
