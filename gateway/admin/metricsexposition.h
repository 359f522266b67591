// The Prometheus text exposition format 0.0.4 of the gateway's metrics (README "Metrics"): one
// HELP and one TYPE line per family, then its samples; names with the `seacat_` prefix, base
// units (bytes, seconds), `_total` on counters, no per-client labels. Pure: a snapshot in, text
// out, so the format is tested without a listener.
#pragma once

#include "../metrics.h"

#include <QByteArray>
#include <QDateTime>

namespace SeaCat {

inline constexpr char PrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// `version`: the gateway's, for seacat_build_info. `now` gives the certificates' time left.
QByteArray formatMetrics(const MetricsSnapshot &snapshot, const QByteArray &version, const QDateTime &now);

} // namespace SeaCat
