// EpollEventDispatcher on its own: a thread runs on it, and everything Qt's event loop offers
// (timers, posted events, sockets, nested loops, wake-ups) works through it.
#include "dispatch/epolleventdispatcher.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <sys/socket.h>
#include <unistd.h>

#include <functional>

using namespace SeaCat;

namespace {

// Generous: the machine running the suite may be loaded.
constexpr int SafetyMs = 20'000;

// Runs an event loop in the current thread until `done` or the safety timeout; true if done.
bool spin(const std::function<bool()> &done)
{
    QElapsedTimer clock;
    clock.start();
    while (!done() && clock.elapsed() < SafetyMs)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    return done();
}

} // namespace

class tst_Dispatcher : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void threadRunsOnIt();
    void timersFireInOrder();
    void timerBookkeeping();
    void timerStoppedByAnotherDoesNotFire();
    void zeroTimerStarvesNothing();
    void postedEventsKeepOrderAcrossThreads();
    void tcpOnLoopback();
    void fdsAreReused();
    void closedFdReusedUnderANotifier();
    void notifierDeletedByAnother();
    void bulkThroughASlowReader();
    void writeNotifierOfAReusedFdWaitsForEpoll();
    void excludedNotifiersDoNotSpin();
    void wakeUpReachesAWaitingLoop();
    void interruptEndsAWait();

private:
    // Runs `job` in the dispatcher's thread and waits for it (a blocking queued call: itself a
    // posted event across threads).
    template<typename Job> auto run(Job job)
    {
        decltype(job()) result{};
        QMetaObject::invokeMethod(
            m_context, [&] { result = job(); }, Qt::BlockingQueuedConnection);
        return result;
    }
    // One waiting processEvents() in the dispatcher's thread, `other` started just before it;
    // returns its milliseconds and deletes `other` once it has finished.
    qint64 waitWhileStarting(QThread *other)
    {
        const qint64 elapsed = run([other] {
            QTimer safety;
            safety.start(SafetyMs);
            // The wake-up of the call that runs this job is still pending: take it first.
            QCoreApplication::processEvents();
            QElapsedTimer clock;
            clock.start();
            other->start();
            QAbstractEventDispatcher::instance()->processEvents(QEventLoop::WaitForMoreEvents);
            return clock.elapsed();
        });
        other->wait(SafetyMs);
        delete other;
        return elapsed;
    }
    EpollEventDispatcher *dispatcher() const
    {
        return static_cast<EpollEventDispatcher *>(m_thread->eventDispatcher());
    }

    QThread *m_thread = nullptr;
    QObject *m_context = nullptr;
};

void tst_Dispatcher::init()
{
    m_thread = new QThread;
    m_thread->setEventDispatcher(new EpollEventDispatcher);
    m_thread->start();
    m_context = new QObject;
    m_context->moveToThread(m_thread);
}

void tst_Dispatcher::cleanup()
{
    QMetaObject::invokeMethod(
        m_context, [this] { delete m_context; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    QVERIFY(m_thread->wait(SafetyMs));
    delete m_thread;
}

void tst_Dispatcher::threadRunsOnIt()
{
    QVERIFY(run([] { return qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance()) != nullptr; }));
}

void tst_Dispatcher::timersFireInOrder()
{
    struct Result {
        QList<int> order;
        int repeats = 0;
        qint64 elapsedMs = 0;
    };
    const Result result = run([] {
        Result r;
        QElapsedTimer clock;
        clock.start();
        QEventLoop loop;
        QTimer repeating;
        repeating.setInterval(5);
        QObject::connect(&repeating, &QTimer::timeout, [&] { ++r.repeats; });
        repeating.start();
        QTimer::singleShot(60, Qt::PreciseTimer, [&] {
            r.order << 60;
            r.elapsedMs = clock.elapsed();
            loop.quit();
        });
        QTimer::singleShot(20, Qt::PreciseTimer, [&] { r.order << 20; });
        QTimer::singleShot(40, Qt::PreciseTimer, [&] { r.order << 40; });
        QTimer::singleShot(0, [&] { r.order << 0; });
        QTimer::singleShot(SafetyMs, &loop, &QEventLoop::quit);
        loop.exec();
        return r;
    });
    QCOMPARE(result.order, QList<int>({0, 20, 40, 60}));
    QVERIFY2(result.elapsedMs >= 60, qPrintable(QString::number(result.elapsedMs)));
    // 60 ms of a 5 ms timer: at least a few, even on a loaded machine; never more than 12.
    QVERIFY2(result.repeats >= 3 && result.repeats <= 12, qPrintable(QString::number(result.repeats)));
}

void tst_Dispatcher::timerBookkeeping()
{
    struct Result {
        int remaining = 0;
        qsizetype registered = 0;
        qsizetype afterStop = 0;
    };
    const Result result = run([] {
        Result r;
        QTimer timer;
        timer.start(10'000);
        r.remaining = QAbstractEventDispatcher::instance()->remainingTime(timer.timerId());
        r.registered = QAbstractEventDispatcher::instance()->registeredTimers(&timer).size();
        timer.stop();
        r.afterStop = QAbstractEventDispatcher::instance()->registeredTimers(&timer).size();
        return r;
    });
    // A coarse timer may be moved by up to 5 % of its interval.
    QVERIFY2(result.remaining > 9'000 && result.remaining <= 10'500, qPrintable(QString::number(result.remaining)));
    QCOMPARE(result.registered, 1);
    QCOMPARE(result.afterStop, 0);
}

void tst_Dispatcher::timerStoppedByAnotherDoesNotFire()
{
    // Both due in the same pass: the first stops the second, which must not fire afterwards.
    const QList<int> fired = run([] {
        QList<int> order;
        QEventLoop loop;
        QTimer first, second;
        first.setSingleShot(true);
        second.setSingleShot(true);
        QObject::connect(&first, &QTimer::timeout, [&] {
            order << 1;
            second.stop();
        });
        QObject::connect(&second, &QTimer::timeout, [&] { order << 2; });
        first.start(10);
        second.start(10);
        QThread::msleep(30); // both due before the loop looks
        QTimer::singleShot(50, &loop, &QEventLoop::quit);
        loop.exec();
        return order;
    });
    QCOMPARE(fired, QList<int>({1}));
}

void tst_Dispatcher::zeroTimerStarvesNothing()
{
    struct Result {
        int zeroTicks = 0;
        bool laterFired = false;
        bool queuedArrived = false;
    };
    const Result result = run([] {
        Result r;
        QEventLoop loop;
        QTimer zero;
        zero.setInterval(0);
        QObject::connect(&zero, &QTimer::timeout, [&] { ++r.zeroTicks; });
        zero.start();
        QMetaObject::invokeMethod(
            QAbstractEventDispatcher::instance(), [&] { r.queuedArrived = true; }, Qt::QueuedConnection);
        QTimer::singleShot(20, [&] {
            r.laterFired = true;
            loop.quit();
        });
        QTimer::singleShot(SafetyMs, &loop, &QEventLoop::quit);
        loop.exec();
        return r;
    });
    QVERIFY(result.laterFired);
    QVERIFY(result.queuedArrived);
    QVERIFY(result.zeroTicks > 0);
}

void tst_Dispatcher::postedEventsKeepOrderAcrossThreads()
{
    // Only touched in the dispatcher's thread until the blocking run() below.
    QList<int> seen;
    bool allInThread = true;
    for (int i = 0; i < 1000; ++i) {
        QMetaObject::invokeMethod(
            m_context,
            [&, i] {
                seen << i;
                allInThread = allInThread && QThread::currentThread() == m_context->thread();
            },
            Qt::QueuedConnection);
    }
    const QList<int> delivered = run([&] { return seen; });
    QCOMPARE(delivered.size(), 1000);
    for (int i = 0; i < 1000; ++i)
        QCOMPARE(delivered.at(i), i);
    QVERIFY(allInThread);

    // And back: the dispatcher's thread posts to this one.
    int back = 0;
    QObject here;
    run([&] {
        for (int i = 0; i < 100; ++i)
            QMetaObject::invokeMethod(
                &here, [&] { ++back; }, Qt::QueuedConnection);
        return true;
    });
    QVERIFY(spin([&] { return back == 100; }));
}

void tst_Dispatcher::tcpOnLoopback()
{
    const QString outcome = run([] {
        QTcpServer server;
        if (!server.listen(QHostAddress::LocalHost))
            return QStringLiteral("listen: ") + server.errorString();
        QTcpSocket client;
        QTcpSocket *accepted = nullptr;
        QByteArray atServer, atClient;
        bool serverSawClose = false;
        QObject::connect(&server, &QTcpServer::newConnection, [&] {
            accepted = server.nextPendingConnection();
            QObject::connect(accepted, &QTcpSocket::readyRead, [&] {
                atServer += accepted->readAll();
                if (atServer == "ping")
                    accepted->write("pong");
            });
            QObject::connect(accepted, &QTcpSocket::disconnected, [&] { serverSawClose = true; });
        });
        QObject::connect(&client, &QTcpSocket::connected, [&] { client.write("ping"); });
        QObject::connect(&client, &QTcpSocket::readyRead, [&] {
            atClient += client.readAll();
            if (atClient == "pong")
                client.disconnectFromHost();
        });
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        if (!spin([&] { return serverSawClose; }))
            return QStringLiteral("no close seen; server got '%1', client got '%2'")
                .arg(QString::fromLatin1(atServer), QString::fromLatin1(atClient));
        return QString();
    });
    QVERIFY2(outcome.isEmpty(), qPrintable(outcome));
}

void tst_Dispatcher::fdsAreReused()
{
    // 1 000 connections in rounds of 50, each closed before the next round: the kernel hands
    // the same fd numbers out again, and each new socket must still be heard.
    const QString outcome = run([] {
        QTcpServer server;
        if (!server.listen(QHostAddress::LocalHost))
            return QStringLiteral("listen: ") + server.errorString();
        server.setMaxPendingConnections(100);
        constexpr int Rounds = 20, PerRound = 50;
        for (int round = 0; round < Rounds; ++round) {
            QList<QTcpSocket *> clients;
            int echoed = 0;
            QObject::connect(&server, &QTcpServer::newConnection, [&] {
                while (QTcpSocket *accepted = server.nextPendingConnection()) {
                    QObject::connect(accepted, &QTcpSocket::readyRead,
                                     [accepted] { accepted->write(accepted->readAll()); });
                    QObject::connect(accepted, &QTcpSocket::disconnected, accepted, &QObject::deleteLater);
                }
            });
            for (int i = 0; i < PerRound; ++i) {
                auto *client = new QTcpSocket;
                QObject::connect(client, &QTcpSocket::connected, [client] { client->write("x"); });
                QObject::connect(client, &QTcpSocket::readyRead, [&, client] {
                    if (client->readAll() == "x")
                        ++echoed;
                });
                client->connectToHost(QHostAddress::LocalHost, server.serverPort());
                clients << client;
            }
            const bool ok = spin([&] { return echoed == PerRound; });
            server.disconnect();
            qDeleteAll(clients);
            if (!ok)
                return QStringLiteral("round %1: %2 of %3 echoed").arg(round).arg(echoed).arg(PerRound);
        }
        return QString();
    });
    QVERIFY2(outcome.isEmpty(), qPrintable(outcome));
}

void tst_Dispatcher::closedFdReusedUnderANotifier()
{
    // Against Qt's order: the fd is closed while its notifier is still registered, and a new
    // socket gets the same number. The new notifier must be heard; the old one must not.
    struct Result {
        bool sameFd = false;
        int oldFired = 0;
        int newFired = 0;
    };
    const Result result = run([] {
        Result r;
        int first[2], second[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, first) != 0)
            return r;
        auto *old = new QSocketNotifier(first[0], QSocketNotifier::Read);
        QObject::connect(old, &QSocketNotifier::activated, [&] { ++r.oldFired; });
        QCoreApplication::processEvents();
        ::close(first[0]);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, second) != 0)
            return r;
        r.sameFd = second[0] == first[0];
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression("multiple socket notifiers"));
        QSocketNotifier fresh(second[0], QSocketNotifier::Read);
        QObject::connect(&fresh, &QSocketNotifier::activated, [&] {
            char byte;
            if (::read(second[0], &byte, 1) == 1)
                ++r.newFired;
        });
        delete old; // after the new one: it must not take the new registration with it
        if (::write(second[1], "y", 1) == 1)
            spin([&] { return r.newFired > 0; });
        ::close(second[0]);
        ::close(second[1]);
        ::close(first[1]);
        return r;
    });
    QVERIFY(result.sameFd);
    QCOMPARE(result.oldFired, 0);
    QCOMPARE(result.newFired, 1);
}

void tst_Dispatcher::notifierDeletedByAnother()
{
    // Two sockets ready in the same turn; whichever is activated first deletes the other, which
    // must then be neither activated nor touched (ASan would see it).
    const int fired = run([] {
        int a[2], b[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) != 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b) != 0)
            return -1;
        auto *first = new QSocketNotifier(a[0], QSocketNotifier::Read);
        auto *second = new QSocketNotifier(b[0], QSocketNotifier::Read);
        int count = 0;
        QObject::connect(first, &QSocketNotifier::activated, [&] {
            ++count;
            delete second;
            second = nullptr;
        });
        QObject::connect(second, &QSocketNotifier::activated, [&] {
            ++count;
            delete first;
            first = nullptr;
        });
        if (::write(a[1], "a", 1) != 1 || ::write(b[1], "b", 1) != 1)
            return -1;
        QCoreApplication::processEvents(); // both ready in one epoll_wait
        delete first;
        delete second;
        for (int fd : {a[0], a[1], b[0], b[1]})
            ::close(fd);
        return count;
    });
    QCOMPARE(fired, 1);
}

void tst_Dispatcher::bulkThroughASlowReader()
{
    // 8 MiB written at once to a reader that takes 64 KiB per turn: the writer's notifier, tried
    // before each wait, mostly finds the kernel's buffer full and must then wait in the epoll
    // set; every byte arrives, in order.
    const QString outcome = run([] {
        QTcpServer server;
        if (!server.listen(QHostAddress::LocalHost))
            return QStringLiteral("listen: ") + server.errorString();
        constexpr qint64 Total = 8 << 20;
        QByteArray payload(Total, Qt::Uninitialized);
        for (qint64 i = 0; i < Total; ++i)
            payload[i] = char(i * 7 + i / 4099);
        QTcpSocket client;
        QTcpSocket *accepted = nullptr;
        QByteArray received;
        QObject::connect(&server, &QTcpServer::newConnection, [&] {
            accepted = server.nextPendingConnection();
            accepted->setReadBufferSize(64 << 10);
            QObject::connect(accepted, &QTcpSocket::readyRead, [&] { received += accepted->read(64 << 10); });
        });
        QObject::connect(&client, &QTcpSocket::connected, [&] {
            client.write("x"); // the first write: its notifier fires from epoll, then the bulk
            client.write(payload);
        });
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        if (!spin([&] { return received.size() >= Total + 1; }))
            return QStringLiteral("%1 of %2 bytes arrived").arg(received.size()).arg(Total + 1);
        if (received != "x" + payload)
            return QStringLiteral("the bytes arrived altered");
        return QString();
    });
    QVERIFY2(outcome.isEmpty(), qPrintable(outcome));
}

void tst_Dispatcher::writeNotifierOfAReusedFdWaitsForEpoll()
{
    // A write notifier proven on one socket, which closes; a socket with a full send buffer gets
    // the same fd number in the same turn. Its write notifier must wait for epoll, which says
    // no: an early activation meant for connected sockets would tell Qt it may write (or that a
    // connect finished).
    struct Result {
        bool sameFd = false;
        int oldFired = 0;
        int newFired = 0;
    };
    const Result result = run([] {
        Result r;
        int first[2], second[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, first) != 0)
            return r;
        // As on a Qt socket, a read notifier keeps the fd's entry while the write one toggles.
        auto *oldRead = new QSocketNotifier(first[0], QSocketNotifier::Read);
        auto *old = new QSocketNotifier(first[0], QSocketNotifier::Write);
        QObject::connect(old, &QSocketNotifier::activated, [&] {
            ++r.oldFired;
            old->setEnabled(false);
        });
        spin([&] { return r.oldFired > 0; });
        delete old;
        delete oldRead;
        ::close(first[0]);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, second) != 0)
            return r;
        r.sameFd = second[0] == first[0];
        const QByteArray chunk(4096, 'f');
        while (::write(second[0], chunk.constData(), size_t(chunk.size())) > 0) { } // until EAGAIN
        QSocketNotifier fresh(second[0], QSocketNotifier::Write);
        QObject::connect(&fresh, &QSocketNotifier::activated, [&] { ++r.newFired; });
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 100)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 20);
        for (int fd : {first[1], second[0], second[1]})
            ::close(fd);
        return r;
    });
    QVERIFY(result.sameFd);
    QCOMPARE(result.oldFired, 1);
    QCOMPARE(result.newFired, 0);
}

void tst_Dispatcher::excludedNotifiersDoNotSpin()
{
    struct Result {
        int fired = 0;
        int turns = 0;
    };
    const Result result = run([] {
        Result r;
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 || ::write(pair[1], "z", 1) != 1)
            return r;
        QSocketNotifier notifier(pair[0], QSocketNotifier::Read);
        QObject::connect(&notifier, &QSocketNotifier::activated, [&] { ++r.fired; });
        bool done = false;
        QTimer::singleShot(100, [&] { done = true; });
        while (!done && r.turns < 1000) {
            QAbstractEventDispatcher::instance()->processEvents(QEventLoop::ExcludeSocketNotifiers |
                                                                QEventLoop::WaitForMoreEvents);
            ++r.turns;
        }
        notifier.setEnabled(false);
        ::close(pair[0]);
        ::close(pair[1]);
        return r;
    });
    QCOMPARE(result.fired, 0);
    // A wait per turn, not a spin over the ready socket.
    QVERIFY2(result.turns < 20, qPrintable(QString::number(result.turns)));
}

void tst_Dispatcher::wakeUpReachesAWaitingLoop()
{
    // Many rounds, the wake-up landing at varied moments around the wait: none may be lost (a
    // lost one leaves processEvents() blocked until the safety timer).
    EpollEventDispatcher *target = dispatcher();
    for (int round = 0; round < 200; ++round) {
        QThread *waker = QThread::create([target, round] {
            QThread::usleep(static_cast<unsigned long>((round % 10) * 100));
            target->wakeUp();
        });
        const qint64 elapsed = waitWhileStarting(waker);
        QVERIFY2(elapsed < SafetyMs / 2, qPrintable(QStringLiteral("round %1: %2 ms").arg(round).arg(elapsed)));
    }
}

void tst_Dispatcher::interruptEndsAWait()
{
    EpollEventDispatcher *target = dispatcher();
    QThread *interrupter = QThread::create([target] {
        QThread::msleep(50);
        target->interrupt();
    });
    const qint64 elapsed = waitWhileStarting(interrupter);
    QVERIFY2(elapsed >= 40 && elapsed < SafetyMs / 2, qPrintable(QString::number(elapsed)));
}

QTEST_GUILESS_MAIN(tst_Dispatcher)
#include "tst_dispatcher.moc"
