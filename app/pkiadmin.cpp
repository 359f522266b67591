#include "pkiadmin.h"
#include "gatewayconfig.h"
#include "pki/x509codec.h"
#include "pki/pkiservice.h"

#include <cstdio>
#include <unistd.h>

using namespace SeaCat;

namespace {

void out(const QString &text)
{
    fputs(qPrintable(text), stdout);
}

int fail(const QString &message, int code = 1)
{
    fputs(qPrintable(QStringLiteral("seacat-gateway pki: %1\n").arg(message)), stderr);
    return code;
}

QString date(const QDateTime &t)
{
    return t.isValid() ? t.toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QStringLiteral("-");
}

const char Usage[] = "usage: seacat-gateway [--data-dir D] pki csr list | csr approve ID | csr reject ID | cert list"
                     " | cert revoke SERIAL | cert export SERIAL | ca export";

} // namespace

QString cliActor()
{
    const QByteArray user = qgetenv("USER");
    return QStringLiteral("cli:%1").arg(user.isEmpty() ? QString::number(::getuid()) : QString::fromLocal8Bit(user));
}

int runPkiAdmin(const QStringList &args, const GatewayConfig &config)
{
    const QString what = args.value(0) + u' ' + args.value(1);
    QString error;
    auto ca = CertificateAuthority::load(config.dataDir, &error);
    auto pki =
        ca ? PkiService::open(std::move(*ca), config.store, config.dataDir, config.pkiPolicy(), &error) : nullptr;
    if (!pki)
        return fail(error);
    bool ok = false;
    const qint64 number = args.value(2).toLongLong(&ok);
    const bool needsNumber = args.size() == 3;
    if (!needsNumber && args.size() != 2)
        return fail(QLatin1String(Usage), 2);
    if (needsNumber && (!ok || number <= 0))
        return fail(QStringLiteral("'%1' is not an id or serial number").arg(args.value(2)), 2);

    if (what == u"csr list" && !needsNumber) {
        out(QStringLiteral("%1  %2  %3  %4  %5  %6\n")
                .arg(QStringLiteral("ID"), 5)
                .arg(QStringLiteral("STATE"), -8)
                .arg(QStringLiteral("RECEIVED"), -16)
                .arg(QStringLiteral("CLIENT TAG"), -18)
                .arg(QStringLiteral("KEY"), -9)
                .arg(QStringLiteral("SUBJECT")));
        for (const CsrInfo &c : pki->csrs())
            out(QStringLiteral("%1  %2  %3  %4  %5  %6\n")
                    .arg(c.id, 5)
                    .arg(toString(c.state), -8)
                    .arg(date(c.received), -16)
                    .arg(c.clientTag, -18)
                    .arg(c.keyType, -9)
                    .arg(c.subject.isEmpty() ? QStringLiteral("(empty)") : c.subject));
        return 0;
    }
    if (what == u"csr approve" && needsNumber) {
        CertificateInfo issued;
        if (QString e = pki->approve(number, cliActor(), &issued); !e.isEmpty())
            return fail(e);
        out(QStringLiteral("approved CSR %1: certificate serial %2 for %3, valid until %4\n")
                .arg(number)
                .arg(issued.serial)
                .arg(issued.clientTag, date(issued.notAfter)));
        return 0;
    }
    if (what == u"csr reject" && needsNumber) {
        if (QString e = pki->reject(number, cliActor()); !e.isEmpty())
            return fail(e);
        out(QStringLiteral("rejected CSR %1\n").arg(number));
        return 0;
    }
    if (what == u"cert list" && !needsNumber) {
        out(QStringLiteral("%1  %2  %3  %4  %5\n")
                .arg(QStringLiteral("SERIAL"), 6)
                .arg(QStringLiteral("STATUS"), -8)
                .arg(QStringLiteral("NOT AFTER"), -16)
                .arg(QStringLiteral("CLIENT TAG"), -18)
                .arg(QStringLiteral("SUBJECT")));
        for (const CertificateInfo &c : pki->certificates()) {
            const QString status = c.isRevoked()    ? QStringLiteral("revoked")
                                   : c.isValidNow() ? QStringLiteral("valid")
                                                    : QStringLiteral("expired");
            out(QStringLiteral("%1  %2  %3  %4  %5\n")
                    .arg(c.serial, 6)
                    .arg(status, -8)
                    .arg(date(c.notAfter), -16)
                    .arg(c.clientTag, -18)
                    .arg(c.subject));
        }
        return 0;
    }
    if (what == u"cert revoke" && needsNumber) {
        if (QString e = pki->revoke(quint64(number), cliActor()); !e.isEmpty())
            return fail(e);
        out(QStringLiteral("revoked certificate %1; a running gateway closes its sessions within a second\n")
                .arg(number));
        return 0;
    }
    if (what == u"cert export" && needsNumber) {
        const auto cert = pki->certificate(quint64(number));
        if (!cert)
            return fail(QStringLiteral("no certificate with serial %1").arg(number));
        CertPtr x509 = certFromDer(cert->der);
        out(QString::fromLatin1(certToPem(x509.get())));
        return 0;
    }
    if (what == u"ca export" && !needsNumber) {
        out(QString::fromLatin1(pki->caCertificatePem()));
        return 0;
    }
    return fail(QLatin1String(Usage), 2);
}
