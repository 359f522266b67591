// Test helper: one client key enrolling over the SeaCat framing (CSR, CERT_QUERY) and then
// connecting with its certificate, against a gateway named gw.test on loopback.
#pragma once

#include "client/enrolment.h"
#include "client/seacatclient.h"
#include "pki/clientidentity.h"

#include <QTemporaryDir>
#include <QTest>

namespace SeaCat {

struct ClientCsr {
    KeyPtr key;
    QByteArray der;
    QByteArray bits;
    ClientKeyId id;
};

inline ClientCsr makeClientCsr(QTemporaryDir &dir, KeyType type = KeyType::Rsa2048, int version = 0,
                               const char *digest = "SHA256")
{
    QString error;
    ClientCsr csr;
    csr.key = Enrolment::loadOrCreateKey(dir.path(), type, &error);
    csr.der = Enrolment::makeCsr(csr.key.get(), QString(), &error, version, digest);
    csr.bits = publicKeyBits(csr.key.get());
    csr.id = clientKeyIdFromKeyBytes(csr.bits);
    return csr;
}

// One enrolment exchange on an anonymous connection; returns the CSR_REPLY flags (-1: none).
inline int submit(SeaCatClient &client, const QByteArray &der)
{
    int flags = -1;
    auto c = QObject::connect(&client, &SeaCatClient::csrReply, &client, [&flags](quint8 f) { flags = f; });
    client.sendCsr(der);
    (void)QTest::qWaitFor([&] { return flags >= 0; }, 10'000);
    QObject::disconnect(c);
    return flags;
}

struct CertAnswer {
    bool answered = false;
    bool notFound = false;
    QByteArray der;
};

inline CertAnswer query(SeaCatClient &client, const QByteArray &bits)
{
    CertAnswer answer;
    auto c = QObject::connect(&client, &SeaCatClient::certificateAnswer, &client,
                              [&answer](quint16, bool notFound, const QByteArray &der) {
                                  answer = {true, notFound, der};
                              });
    client.queryCertificate(bits);
    (void)QTest::qWaitFor([&] { return answer.answered; }, 10'000);
    QObject::disconnect(c);
    return answer;
}

inline bool connectWithIdentity(SeaCatClient &client, quint16 port, const QString &caFile,
                                const QTemporaryDir &identity)
{
    SeaCatClient::Options options;
    options.host = QStringLiteral("127.0.0.1");
    options.port = port;
    options.caFile = caFile;
    options.gatewayName = QStringLiteral("gw.test");
    options.certFile = identity.filePath(Enrolment::CertFile);
    options.keyFile = identity.filePath(Enrolment::KeyFile);
    return client.connectToGateway(options).isEmpty() && QTest::qWaitFor([&] { return client.isConnected(); }, 10'000);
}

} // namespace SeaCat
