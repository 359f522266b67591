#include "clientidentity.h"
#include "opensslptr.h"

#include <QCryptographicHash>

#include <openssl/core_names.h>

namespace SeaCat {

namespace {
QString base32(const QByteArray &bytes)
{
    // RFC 4648 alphabet; 10 bytes → exactly 16 characters, no padding.
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    QString out;
    quint64 buffer = 0;
    int bits = 0;
    for (char c : bytes) {
        buffer = (buffer << 8) | quint8(c);
        bits += 8;
        while (bits >= 5) {
            out += QLatin1Char(alphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0)
        out += QLatin1Char(alphabet[(buffer << (5 - bits)) & 31]);
    return out;
}

QString tagOfHash(const QByteArray &hash)
{
    return u'[' + base32(hash.left(10)) + u']';
}
} // namespace

ClientKeyId clientKeyIdFromKeyBytes(const QByteArray &bits)
{
    if (bits.isEmpty())
        return {};
    const QByteArray hash = QCryptographicHash::hash(bits, QCryptographicHash::Sha384);
    return {QString::fromLatin1(hash.toHex()), tagOfHash(hash)};
}

QString clientTagOfId(const QString &clientId)
{
    const QByteArray hash = QByteArray::fromHex(clientId.toLatin1());
    return hash.size() == 48 && clientId.size() == 96 ? tagOfHash(hash) : QString();
}

QByteArray publicKeyBits(EVP_PKEY *key)
{
    // Through the SubjectPublicKeyInfo, so RSA and EC are treated alike.
    X509_PUBKEY *spki = nullptr;
    if (!key || X509_PUBKEY_set(&spki, key) != 1)
        return {};
    const unsigned char *bits = nullptr;
    int length = 0;
    QByteArray out;
    if (X509_PUBKEY_get0_param(nullptr, &bits, &length, nullptr, spki) == 1)
        out = QByteArray(reinterpret_cast<const char *>(bits), length);
    X509_PUBKEY_free(spki);
    return out;
}

QString keyDescription(EVP_PKEY *key)
{
    if (EVP_PKEY_is_a(key, "RSA"))
        return QStringLiteral("RSA %1").arg(EVP_PKEY_get_bits(key));
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64] = {};
        size_t length = 0;
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length);
        const QString name = QString::fromLatin1(group);
        return name == u"prime256v1"  ? QStringLiteral("EC P-256")
               : name == u"secp384r1" ? QStringLiteral("EC P-384")
                                      : QStringLiteral("EC %1").arg(name);
    }
    return QStringLiteral("unknown key type");
}

QString keyPolicyViolation(EVP_PKEY *key)
{
    const QString description = keyDescription(key);
    if (EVP_PKEY_is_a(key, "RSA"))
        return EVP_PKEY_get_bits(key) >= 2048
                   ? QString()
                   : QStringLiteral("%1 is too small (RSA needs 2048 bits or more)").arg(description);
    if (description == u"EC P-256" || description == u"EC P-384")
        return {};
    return QStringLiteral("%1 is not accepted (RSA ≥ 2048, EC P-256 or P-384)").arg(description);
}

} // namespace SeaCat
