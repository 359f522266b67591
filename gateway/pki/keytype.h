// The keys this project generates. README "TLS": RSA-2048 by default; EC P-256 is allowed,
// though stock clients offer only ECDHE-RSA-AES256-SHA384 and need an RSA server key.
#pragma once

namespace SeaCat {
enum class KeyType { Rsa2048, EcP256 };
} // namespace SeaCat
