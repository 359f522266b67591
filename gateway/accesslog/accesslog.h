// The access log (README "Access log"): records from any engine thread go into a bounded queue
// and one writer thread formats and writes them, so a slow disk or a blocked stderr never
// stalls a session. When the queue is full a record is dropped and counted, never waited for.
// The writer gathers records for up to 5 ms before it writes them, in one write.
// Owned by main(); it must outlive every engine that submits to it.
#pragma once

#include "../gatewaylimits.h"
#include "accessrecord.h"
#include "logformat.h"

#include <QString>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace SeaCat {

class AccessLog final
{
    Q_DISABLE_COPY_MOVE(AccessLog)

public:
    // `maxQueuedBytes` bounds what waits for the writer (records and their strings); the writer
    // holds at most as much again while it formats one batch.
    explicit AccessLog(qsizetype maxQueuedBytes = Limits::MaxAccessLogQueueBytes);
    // Writes what is queued, then stops the writer.
    ~AccessLog();

    // Owner's thread. Opens `path` for appending (created 0640; empty: stderr); the writer
    // switches to it before its next batch. On failure the current target stays and the error
    // names the file.
    QString open(const QString &path, LogFormat format);
    // SIGUSR1 (logrotate): the same path opened again, so a renamed file is left behind.
    QString reopen();
    QString path() const { return m_path; }
    LogFormat format() const { return m_format; }

    // Any thread; never blocks on I/O (one short lock). False when dropped: the queue was full.
    bool submit(const AccessRecord &record);
    // Records dropped since the last call (any thread).
    quint64 takeDropped() { return m_dropped.exchange(0); }
    // Blocks until everything submitted so far is written (tests, shutdown).
    void flush();

private:
    void run();
    // Queued this much, the writer stops gathering: half the queue stays free for the rest.
    qsizetype hurryBytes() const { return m_maxQueuedBytes / 2; }

    const qsizetype m_maxQueuedBytes;
    QString m_path;                       // owner's thread only
    LogFormat m_format = LogFormat::Text; // owner's thread only

    std::mutex m_mutex;
    std::condition_variable m_wake;    // the writer waits for records, a new target or stop
    std::condition_variable m_written; // flush() waits for the writer
    std::vector<AccessRecord> m_queue;
    qsizetype m_queuedBytes = 0;
    quint64 m_submitted = 0; // records taken into the queue, ever
    quint64 m_done = 0;      // records the writer has finished with, ever
    int m_flushing = 0;      // flush() calls waiting: the writer does not gather for them
    int m_nextFd = -1;       // a target the writer has not switched to yet
    LogFormat m_nextFormat = LogFormat::Text;
    bool m_retarget = false;
    bool m_stopping = false;
    std::atomic<quint64> m_dropped{0};
    std::thread m_writer; // last: starts once everything above exists
};

} // namespace SeaCat
