// PEM and DER to and from OpenSSL objects, and OpenSSL's error queue as text.
#pragma once

#include "opensslptr.h"

#include <QByteArray>
#include <QString>

namespace SeaCat {

// Every public pki/ entry starts with a clean queue, so that a failure message names only
// what went wrong in it.
void clearOpenSslErrors();
// `what` followed by the drained queue ("...: error:0480006C:PEM routines::no start line").
QString openSslFailure(const QString &what);

QByteArray bioContents(BIO *bio);
// Empty on failure.
QByteArray keyToPem(EVP_PKEY *key);
QByteArray certToPem(X509 *cert);
QByteArray certToDer(X509 *cert);
KeyPtr keyFromPem(const QByteArray &pem);
CertPtr certFromPem(const QByteArray &pem);
CertPtr certFromDer(const QByteArray &der);
// PEM files; null when missing or unreadable.
KeyPtr keyFromPemFile(const QString &path);
CertPtr certFromPemFile(const QString &path);

} // namespace SeaCat
