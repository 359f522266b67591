// libFuzzer target for the CSR check (DER PKCS#10 → CertificateAuthority::inspectCsr), which
// reads what anonymous clients send. Replayed from its corpus in every build like the others.
#include "pki/certificateauthority.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QString error;
    const auto details = SeaCat::CertificateAuthority::inspectCsr(
        QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)), &error);
    (void)details;
    (void)SeaCat::CertificateAuthority::clientOfCertificate(
        QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)));
    return 0;
}
