// Test helper: one request through a SeaCatClient, waited for, with the whole response.
#pragma once

#include "client/seacatclient.h"

#include <QTest>

struct ClientResponse {
    int status = 0;
    SeaCat::HeaderList headers;
    QByteArray body;
    qint64 bodySize = 0;
    bool finished = false;
    quint32 reset = 0;

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &[n, v] : headers)
            if (n.compare(name, Qt::CaseInsensitive) == 0)
                return v;
        return {};
    }
};

// Connects a client with the stock profile to a gateway named gw.test on loopback.
inline bool connectClient(SeaCat::SeaCatClient &client, quint16 port, const QString &caFile)
{
    SeaCat::SeaCatClient::Options options;
    options.host = QStringLiteral("127.0.0.1");
    options.port = port;
    options.caFile = caFile;
    options.gatewayName = QStringLiteral("gw.test");
    if (!client.connectToGateway(options).isEmpty())
        return false;
    return QTest::qWaitFor([&] { return client.isConnected(); }, 10'000);
}

// Connects with the identity of `seacat-client enroll` (cert.pem, key.pem in `identityDir`).
inline bool connectWithIdentity(SeaCat::SeaCatClient &client, quint16 port, const QString &caFile,
                                const QString &identityDir)
{
    SeaCat::SeaCatClient::Options options;
    options.host = QStringLiteral("127.0.0.1");
    options.port = port;
    options.caFile = caFile;
    options.gatewayName = QStringLiteral("gw.test");
    options.certFile = identityDir + QStringLiteral("/cert.pem");
    options.keyFile = identityDir + QStringLiteral("/key.pem");
    return client.connectToGateway(options).isEmpty() && QTest::qWaitFor([&] { return client.isConnected(); }, 10'000);
}

// Starts a request; the response accumulates into `response` (the body only up to `keep` bytes).
inline SeaCat::ClientStream *startRequest(SeaCat::SeaCatClient &client, ClientResponse &response,
                                          const QByteArray &method, const QString &url,
                                          const SeaCat::HeaderList &headers = {}, const QByteArray *body = nullptr,
                                          qsizetype keep = 1 << 20)
{
    SeaCat::ClientStream *stream = client.request(method, QUrl(url), headers, body != nullptr);
    QObject::connect(stream, &SeaCat::ClientStream::responseHead, stream,
                     [&response](int status, const SeaCat::HeaderList &h) {
                         response.status = status;
                         response.headers = h;
                     });
    QObject::connect(stream, &SeaCat::ClientStream::data, stream, [&response, keep](const QByteArray &bytes) {
        response.bodySize += bytes.size();
        if (response.body.size() < keep)
            response.body += bytes.left(keep - response.body.size());
    });
    QObject::connect(stream, &SeaCat::ClientStream::finished, stream, [&response] { response.finished = true; });
    QObject::connect(stream, &SeaCat::ClientStream::reset, stream,
                     [&response](quint32 status) { response.reset = status; });
    if (body) {
        stream->write(*body);
        stream->finish();
    }
    return stream;
}

inline ClientResponse fetch(SeaCat::SeaCatClient &client, const QByteArray &method, const QString &url,
                            const SeaCat::HeaderList &headers = {}, const QByteArray *body = nullptr,
                            int timeoutMs = 20'000)
{
    ClientResponse response;
    startRequest(client, response, method, url, headers, body);
    (void)QTest::qWaitFor([&] { return response.finished || response.reset; }, timeoutMs);
    return response;
}
