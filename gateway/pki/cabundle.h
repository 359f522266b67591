// One CA for a gateway array (README "Several gateways"): the CA certificate and its private key
// as one file, taken from one gateway's data directory and put into another's, so every gateway
// issues client certificates the others accept. Each keeps its own server certificate, issued
// at its next start by the imported CA with its own name.
#pragma once

#include <QByteArray>
#include <QString>
#include <optional>

namespace SeaCat::CaBundle {

// The bundle of `dataDir`'s CA: a header saying what the file is, the certificate and the key
// (PEM). nullopt with the reason when the directory has no usable CA.
std::optional<QByteArray> exportFrom(const QString &dataDir, QString *error);

enum class ImportResult { Imported, AlreadyThere, Failed };
// Checks `bundle` (a CA certificate, valid now, with its matching key) and writes it into
// `dataDir` (created 0700 when missing) as ca.pem and ca-key.pem (0600). A different CA
// already there is never replaced: clients may trust it. `message` says what was done or why not.
ImportResult importInto(const QString &dataDir, const QByteArray &bundle, QString *message);

} // namespace SeaCat::CaBundle
