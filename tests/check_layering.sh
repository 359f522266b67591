#!/usr/bin/env bash
# The layers the README's "Layout" promises, checked on the includes:
# - gateway/ (the engine) never includes Qt Widgets or Qt GUI, in any spelling;
# - OpenSSL is used inside gateway/pki/ only: no <openssl/...> elsewhere in gateway/, and no
#   pki header that brings it in (opensslptr.h, x509codec.h, certificatebuilder.h);
# - gateway/ never includes the client library (client/), which sits beside it.
set -euo pipefail
root="${1:?usage: check_layering.sh SOURCE_DIR}"
status=0
if grep -rnE '#\s*include\s*[<"](QtWidgets|QtGui|QWidget|QApplication|QGuiApplication|QMainWindow)' "$root/gateway"; then
    echo "gateway/ must not depend on Qt Widgets or Qt GUI" >&2
    status=1
fi
if grep -rnE '#\s*include\s*[<"](openssl/|([^"]*/)?(opensslptr|x509codec|certificatebuilder)\.h)' "$root/gateway" --include='*.h' --include='*.cpp' \
    | grep -v "^$root/gateway/pki/"; then
    echo "OpenSSL belongs in gateway/pki/ only: forward-declare its types in headers" >&2
    status=1
fi
if grep -rnE '#\s*include\s*"(\.\./)*client/' "$root/gateway"; then
    echo "gateway/ must not include the client library (client/)" >&2
    status=1
fi
exit $status
