// README "Port": which port the admin may choose and how well it reaches clients, written once.
// The engine words it in English (checkPort), the GUI in its own language from portAdvice().
#pragma once

#include <QHostAddress>
#include <QString>

namespace SeaCat {

inline constexpr quint16 DefaultPort = 443;   // recommended
inline constexpr quint16 FallbackPort = 8443; // served when 443 needs privilege we lack
// README "Metrics": the admin listener (/metrics), on 127.0.0.1 unless configured otherwise.
inline constexpr quint16 DefaultAdminPort = 9543;

// Reachability measured by Google: 443 → 95 %, a custom port above 1024 → 86 %, port 80 → 67 %.
enum class PortAdvice {
    Recommended,    // 443 (or 0: a free port, for tests)
    Custom,         // above 1024
    ReservedPort80, // reserved, and the worst reach
    Reserved,       // other ports up to 1024
};
PortAdvice portAdvice(quint16 port);
// Reserved ports need an explicit override (--allow-reserved-port, a confirmation in the GUI).
bool isReserved(PortAdvice advice);

struct PortVerdict {
    bool allowed = true;
    QString message; // the reason when refused, else advice (may be empty)
};
PortVerdict checkPort(quint16 port, bool allowReserved);

// A failed bind explained, with the fixes (CAP_NET_BIND_SERVICE, another port, ...).
QString explainBindFailure(const QHostAddress &address, quint16 port, int socketError, const QString &detail);
bool bindFailedForPrivilege(int socketError);

// "192.0.2.1:443", "[2001:db8::1]:443": the one way an address and port are written.
QString formatEndpoint(const QHostAddress &address, quint16 port);
QString formatEndpoint(const QString &address, quint16 port);

} // namespace SeaCat
