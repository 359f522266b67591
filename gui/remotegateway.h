// A gateway on a server, administered over its admin API (README "Administering a server
// gateway from a workstation"): the GatewayLink the window uses when attached with --attach.
// Events come from GET /api/v1/events (server-sent events, read as they arrive and parsed by
// adminjson's readers into the value types the in-process engine emits); commands are REST
// calls whose refusals come back as the same failure signals. Every call is asynchronous; a
// lost stream is reported with linkLost() and opened again after a backoff (1 s doubling to
// MaxBackoffMs), each time with a fresh snapshot.
#pragma once

#include "admin/adminidentity.h"
#include "gatewaylink.h"

#include <QNetworkAccessManager>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QUrl>
#include <functional>

class QNetworkReply;

class RemoteGateway final : public SeaCat::GatewayLink
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RemoteGateway)

public:
    static constexpr int FirstBackoffMs = 1'000;
    static constexpr int MaxBackoffMs = 30'000;
    // One event (the snapshot of every session the biggest) or one answer may not grow a buffer
    // beyond this.
    static constexpr qsizetype MaxEventBytes = 64 * 1024 * 1024;
    static constexpr int CommandTimeoutMs = 20'000;

    // `base`: http://127.0.0.1:PORT, or https://HOST:PORT with an identity.
    explicit RemoteGateway(const QUrl &base, QObject *parent = nullptr);
    ~RemoteGateway() override;

    QUrl url() const { return m_base; }
    // "" or what is missing from the workstation identity directory; before start().
    QString setIdentity(const QString &directory) { return m_identity.load(directory); }
    bool runsEngine() const override { return false; }

public slots:
    // Opens the event stream (the configuration is the server's own: `config` is unused).
    void start(const SeaCat::GatewayConfig &config = {}) override;
    // Closes the stream; the remote gateway serves on.
    void stop() override;
    void changePort(const QHostAddress &address, quint16 port, bool allowReserved) override;
    void disconnectSession(quint64 id) override;
    void approveCsr(qint64 id, const QString &actor = QStringLiteral("gui")) override;
    void rejectCsr(qint64 id, const QString &actor = QStringLiteral("gui")) override;
    void revokeCertificate(quint64 serial, const QString &actor = QStringLiteral("gui")) override;
    quint64 openTunnel(SeaCat::TunnelRequest request) override;

private:
    quint64 m_nextTunnelId = 1;
    using Done = std::function<void(int status, const QByteArray &body, const QString &failure)>;
    QNetworkRequest request(const QString &path) const;
    void send(QNetworkReply *reply, Done done);
    void openStream();
    void readStream();
    void streamEnded();
    void handleEvent(const QByteArray &name, const QByteArray &data);
    void applySnapshot(const QJsonObject &snapshot);
    void refreshPki();
    void pkiAction(const QString &path);
    static QString errorOf(int status, const QByteArray &body, const QString &failure);

    QUrl m_base;
    SeaCat::AdminIdentity m_identity;
    QNetworkAccessManager m_manager;
    QPointer<QNetworkReply> m_stream;
    QByteArray m_buffer;
    QSet<quint64> m_sessions; // the ids the window was told of
    QTimer m_retry;
    int m_backoffMs = FirstBackoffMs;
    bool m_running = false;
    bool m_pkiRefreshing = false;
    bool m_pkiAgain = false;
};
