// Test helper: a SeaCat client with the stock TLS profile (TLS 1.2, 0xC028 only, no SNI/ALPN,
// the gateway's CA as the only trust anchor), recording every frame it receives.
#pragma once

#include "codec/framereader.h"
#include "codec/framewriter.h"
#include "recordingvisitor.h"
#include "tls/tlsprofile.h"

#include <QSslCipher>

#include <QFile>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QTest>
#include <memory>

class TestClient : public QObject
{
public:
    RecordingVisitor received;
    QByteArray raw; // every byte received, for exact comparisons
    QSslSocket socket;
    QSslCertificate certificate; // presented when set (an authenticated client)
    QSslKey privateKey;

    // The CA file is read at connectTo(), so it may be created after this constructor.
    explicit TestClient(const QString &caFile, const QString &gatewayName = QStringLiteral("gw.test"))
        : m_caFile(caFile), m_reader(&received)
    {
        socket.setPeerVerifyName(gatewayName); // §6.1: the client checks CN = gateway name
        connect(&socket, &QSslSocket::readyRead, this, [this] {
            const QByteArray bytes = socket.readAll();
            raw += bytes;
            m_reader.feed(bytes);
        });
        connect(&socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            for (const QSslError &e : errors)
                sslErrors << e.errorString();
        });
    }

    bool connectTo(quint16 port, int timeoutMs = 10'000)
    {
        startConnect(port);
        return QTest::qWaitFor(
                   [this] { return socket.isEncrypted() || socket.state() == QAbstractSocket::UnconnectedState; },
                   timeoutMs) &&
               socket.isEncrypted();
    }

    // Starts the connection and returns at once; what is sent meanwhile goes out after the handshake.
    void startConnect(quint16 port)
    {
        QSslConfiguration tls = SeaCat::TlsProfile::stockClient(QSslCertificate::fromPath(m_caFile));
        if (!certificate.isNull()) {
            tls.setLocalCertificate(certificate);
            tls.setPrivateKey(privateKey);
        }
        socket.setSslConfiguration(tls);
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    }

    void send(const QByteArray &bytes) { socket.write(bytes); }

    // Waits until at least `count` events were received in total.
    bool waitForEvents(int count, int timeoutMs = 10'000)
    {
        return QTest::qWaitFor([&] { return received.events.size() >= count; }, timeoutMs);
    }

    bool waitForDisconnected(int timeoutMs = 10'000)
    {
        return QTest::qWaitFor([this] { return socket.state() == QAbstractSocket::UnconnectedState; }, timeoutMs);
    }

    // Sends a PING with `id` and waits for its echo.
    bool pingRoundTrip(quint32 id, int timeoutMs = 10'000)
    {
        const int before = int(received.events.size());
        send(SeaCat::serialize(SeaCat::Ping{id}));
        return waitForEvents(before + 1, timeoutMs) &&
               received.events.at(before) == QStringLiteral("PING id=%1").arg(id);
    }

    QStringList sslErrors;

private:
    QString m_caFile;
    SeaCat::FrameReader m_reader;
};

// A raw TestClient that became a session: its first PING was echoed.
inline std::unique_ptr<TestClient> openSession(quint16 port, const QString &caFile, quint32 pingId = 1)
{
    auto client = std::make_unique<TestClient>(caFile);
    if (!client->connectTo(port) || !client->pingRoundTrip(pingId))
        return nullptr;
    return client;
}

// A loopback port free a moment ago, for a gateway to move to.
inline QString freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost);
    return QString::number(probe.serverPort());
}
