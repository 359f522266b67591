// Value types of the PKI that cross threads and processes (copyable, no engine pointers).
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

namespace SeaCat {

struct CsrInfo {
    enum class State { Pending, Approved, Rejected };
    qint64 id = 0;
    QString clientId;
    QString clientTag;
    QString subject;
    QString keyType;
    QByteArray der;
    State state = State::Pending;
    QDateTime received;
    QDateTime decided;
};

struct CertificateInfo {
    quint64 serial = 0;
    QString clientId;
    QString clientTag;
    QString subject;
    QByteArray der;
    QDateTime notBefore;
    QDateTime notAfter;
    QDateTime revoked; // null while not revoked
    bool isRevoked() const { return revoked.isValid(); }
    bool isValidNow() const
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        return !isRevoked() && notBefore <= now && now < notAfter;
    }
};

// A gateway of an array as it registers itself in the shared store, for its DNS SRV record
// (README "Several gateways", `array srv-zone`).
struct GatewayRecord {
    QString name; // the SRV target: the gateway's name, the CN of its server certificate
    quint16 port = 0;
    int priority = 10;
    int weight = 100;
    QDateTime seen; // when it last registered (its last start)
};

// What the admin sees of the PKI, pushed by the engine whenever it changes (GatewayEvents).
struct PkiState {
    QByteArray caCertificatePem;
    QList<CsrInfo> pendingCsrs;          // at most max-pending-csrs
    QList<CertificateInfo> certificates; // issued and revoked
};

QString toString(CsrInfo::State state);

} // namespace SeaCat

Q_DECLARE_METATYPE(SeaCat::CsrInfo)
Q_DECLARE_METATYPE(SeaCat::CertificateInfo)
Q_DECLARE_METATYPE(SeaCat::PkiState)
