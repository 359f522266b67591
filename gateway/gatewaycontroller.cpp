#include "gatewaycontroller.h"
#include "dispatch/epolleventdispatcher.h"
#include "gatewayengine.h"

#include <QEventLoop>
#include <QMetaMethod>

namespace SeaCat {

GatewayController::GatewayController(QObject *parent) : GatewayLink(parent), m_engine(new GatewayEngine)
{
    m_thread.setObjectName(QStringLiteral("seacat-engine"));
    // The engine and worker threads hold every session's sockets: their loop turns must not
    // cost O(sessions) (issue 10). The GUI thread keeps Qt's own dispatcher.
    m_thread.setEventDispatcher(new EpollEventDispatcher);
    m_engine->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_engine, &QObject::deleteLater);

    // Cross-thread connections: queued, delivered in this object's thread.
    connect(m_engine, &GatewayEngine::listening, this, &GatewayController::setListening);
    connect(m_engine, &GatewayEngine::failed, this, [this](const QString &reason) {
        setState(State::Failed);
        emit failed(reason);
    });
    connect(m_engine, &GatewayEngine::stopped, this, [this] {
        setState(State::Stopped);
        emit stopped();
    });
    connect(m_engine, &GatewayEngine::eventsBatched, this, [this](const QList<EngineEvent> &events) {
        for (const EngineEvent &event : events) {
            switch (event.kind) {
            case EngineEvent::Kind::SessionOpened:
                emit sessionOpened(event.session);
                break;
            case EngineEvent::Kind::SessionClosed:
                emit sessionClosed(event.sessionId, event.text);
                break;
            case EngineEvent::Kind::Log:
                emit logMessage(event.level, event.text);
                break;
            }
        }
    });
    // The engine's events, every one of them, by one loop over the signals declared once.
    const QMetaObject &events = GatewayEvents::staticMetaObject;
    for (int i = events.methodOffset(); i < events.methodCount(); ++i)
        if (const QMetaMethod signal = events.method(i); signal.methodType() == QMetaMethod::Signal)
            connect(m_engine, signal, this, signal, Qt::QueuedConnection);
    m_thread.start();
}

GatewayController::~GatewayController()
{
    if (const State now = state(); now == State::Listening || now == State::Starting || now == State::Stopping) {
        QEventLoop loop;
        connect(m_engine, &GatewayEngine::stopped, &loop, &QEventLoop::quit);
        QMetaObject::invokeMethod(m_engine, &GatewayEngine::stop, Qt::QueuedConnection);
        loop.exec();
    }
    m_thread.quit();
    m_thread.wait();
}

void GatewayController::start(const GatewayConfig &config)
{
    setState(State::Starting);
    invoke([config](GatewayEngine *engine) { engine->start(config); });
}

void GatewayController::stop()
{
    if (state() == State::Stopped || state() == State::Failed) {
        emit stopped();
        return;
    }
    setState(State::Stopping);
    QMetaObject::invokeMethod(m_engine, &GatewayEngine::stop, Qt::QueuedConnection);
}

void GatewayController::changePort(const QHostAddress &address, quint16 port, bool allowReserved)
{
    invoke([address, port, allowReserved](GatewayEngine *engine) { engine->changePort(address, port, allowReserved); });
}

void GatewayController::setAccessLog(AccessLog *log)
{
    invoke([log](GatewayEngine *engine) { engine->setAccessLog(log); });
}

void GatewayController::reload(const GatewayConfig &config)
{
    invoke([config](GatewayEngine *engine) { engine->reload(config); });
}

template<typename Slot> void GatewayController::invoke(Slot slot)
{
    // Runs `slot(engine)` in the engine's thread.
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, slot] { slot(engine); }, Qt::QueuedConnection);
}

void GatewayController::disconnectSession(quint64 id)
{
    invoke([id](GatewayEngine *engine) { engine->disconnectSession(id); });
}

quint64 GatewayController::openTunnel(TunnelRequest request)
{
    request.tunnelId = m_nextTunnelId++;
    invoke([request](GatewayEngine *engine) { engine->openTunnel(request); });
    return request.tunnelId;
}

void GatewayController::closeTunnel(quint64 tunnelId, const QString &actor)
{
    invoke([tunnelId, actor](GatewayEngine *engine) { engine->closeTunnel(tunnelId, actor); });
}

void GatewayController::approveCsr(qint64 id, const QString &actor)
{
    invoke([id, actor](GatewayEngine *engine) { engine->approveCsr(id, actor); });
}

void GatewayController::rejectCsr(qint64 id, const QString &actor)
{
    invoke([id, actor](GatewayEngine *engine) { engine->rejectCsr(id, actor); });
}

void GatewayController::revokeCertificate(quint64 serial, const QString &actor)
{
    invoke([serial, actor](GatewayEngine *engine) { engine->revokeCertificate(serial, actor); });
}

} // namespace SeaCat
