#include "tlslistener.h"

#include <QTimer>

#include <sys/resource.h>
#include <unistd.h>

namespace SeaCat {

namespace {
constexpr int DescriptorRetryMs = 500; // accepting resumes this soon after the descriptor ceiling
} // namespace

TlsListener::TlsListener(HandOff handOff, int descriptorCeiling, QObject *parent)
    : QTcpServer(parent), m_handOff(std::move(handOff)), m_descriptorCeiling(descriptorCeiling)
{
    // A burst of connects waits in the kernel instead of being refused (nginx: 511).
    setListenBacklogSize(1024);
}

TlsListener::~TlsListener() = default;

void TlsListener::incomingConnection(qintptr descriptor)
{
    // Linux hands out the lowest free descriptor, so its number tells how many are open. At the
    // ceiling the listener pauses instead of accepting into exhaustion (where accept() fails at
    // once and the loop spins), and tries again a little later.
    if (m_descriptorCeiling > 0 && descriptor >= m_descriptorCeiling) {
        ::close(int(descriptor));
        pauseAccepting();
        QTimer::singleShot(DescriptorRetryMs, this, &QTcpServer::resumeAccepting);
        emit acceptingPaused(int(descriptor));
        return;
    }
    m_handOff(descriptor);
}

int raiseDescriptorLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 1'024;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return int(qMin<rlim_t>(limit.rlim_cur, 1 << 30));
}

} // namespace SeaCat
