// The TLS port's acceptor: binds, accepts TCP connections and hands each descriptor on to a
// TlsHandshaker, which may live in another thread (GatewayEngine spreads them round-robin over
// its workers). It keeps the descriptor ceiling: accepting pauses while descriptors reach it.
// Lives in the thread that created it.
#pragma once

#include <QTcpServer>
#include <functional>

namespace SeaCat {

class TlsListener final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TlsListener)

public:
    // Receives every accepted descriptor and owns it from then on.
    using HandOff = std::function<void(qintptr descriptor)>;

    // `descriptorCeiling`: accepting stops while descriptors reach this number, so that live
    // sessions keep descriptors for their backends and the store (0: no ceiling).
    TlsListener(HandOff handOff, int descriptorCeiling, QObject *parent = nullptr);
    ~TlsListener() override;

signals:
    // The descriptor ceiling was reached: accepting pauses and resumes by itself.
    void acceptingPaused(int descriptor);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    HandOff m_handOff;
    int m_descriptorCeiling;
};

// Raises this process's soft descriptor limit to its hard limit (as nginx's
// worker_rlimit_nofile does) and returns the limit now in force.
int raiseDescriptorLimit();

} // namespace SeaCat
