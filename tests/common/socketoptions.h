// Test helper: what the kernel says of a socket, so a test checks the option really applied.
#pragma once

#include <QtGlobal>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

// TCP_NODELAY of `descriptor` (1 on, 0 off), -1 when it cannot be read.
inline int tcpNoDelay(qintptr descriptor)
{
    int value = -1;
    socklen_t size = sizeof value;
    if (getsockopt(int(descriptor), IPPROTO_TCP, TCP_NODELAY, &value, &size) != 0)
        return -1;
    return value;
}
