#include "gatewaycontroller.h"
#include "gatewayengine.h"

#include <QEventLoop>

namespace SeaCat {

GatewayController::GatewayController(QObject *parent)
    : QObject(parent), m_engine(new GatewayEngine)
{
    qRegisterMetaType<SeaCat::SessionInfo>();
    qRegisterMetaType<QList<SeaCat::SessionInfo>>();
    qRegisterMetaType<SeaCat::LogLevel>();
    qRegisterMetaType<SeaCat::GatewayStats>();
    qRegisterMetaType<SeaCat::CsrInfo>();
    qRegisterMetaType<SeaCat::CertificateInfo>();
    qRegisterMetaType<QList<SeaCat::CsrInfo>>();
    qRegisterMetaType<QList<SeaCat::CertificateInfo>>();

    m_thread.setObjectName(QStringLiteral("seacat-engine"));
    m_engine->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_engine, &QObject::deleteLater);

    // Cross-thread connections: queued, delivered in this object's thread.
    connect(m_engine, &GatewayEngine::listening, this, [this](const QHostAddress &address, quint16 port) {
        const bool portChange = m_port != port;
        m_address = address;
        m_port = port;
        setState(State::Listening);
        emit listening(address, port);
        if (portChange)
            emit portChanged(port);
    });
    connect(m_engine, &GatewayEngine::failed, this, [this](const QString &reason) {
        setState(State::Failed);
        emit failed(reason);
    });
    connect(m_engine, &GatewayEngine::stopped, this, [this] {
        setState(State::Stopped);
        emit stopped();
    });
    connect(m_engine, &GatewayEngine::portChangeFailed, this, &GatewayController::portChangeFailed);
    connect(m_engine, &GatewayEngine::sessionOpened, this, &GatewayController::sessionOpened);
    connect(m_engine, &GatewayEngine::sessionClosed, this, &GatewayController::sessionClosed);
    connect(m_engine, &GatewayEngine::sessionsUpdated, this, &GatewayController::sessionsUpdated);
    connect(m_engine, &GatewayEngine::statsUpdated, this, &GatewayController::statsUpdated);
    connect(m_engine, &GatewayEngine::connectionRejected, this, &GatewayController::connectionRejected);
    connect(m_engine, &GatewayEngine::logMessage, this, &GatewayController::logMessage);
    connect(m_engine, &GatewayEngine::csrReceived, this, &GatewayController::csrReceived);
    connect(m_engine, &GatewayEngine::certificateIssued, this, &GatewayController::certificateIssued);
    connect(m_engine, &GatewayEngine::certificateRevoked, this, &GatewayController::certificateRevoked);
    connect(m_engine, &GatewayEngine::certificateExpiringSoon, this, &GatewayController::certificateExpiringSoon);
    connect(m_engine, &GatewayEngine::pkiChanged, this, &GatewayController::pkiChanged);
    connect(m_engine, &GatewayEngine::pkiSnapshot, this, &GatewayController::pkiSnapshot);
    connect(m_engine, &GatewayEngine::pkiActionFailed, this, &GatewayController::pkiActionFailed);
    m_thread.start();
}

GatewayController::~GatewayController()
{
    if (m_state == State::Listening || m_state == State::Starting || m_state == State::Stopping) {
        QEventLoop loop;
        connect(m_engine, &GatewayEngine::stopped, &loop, &QEventLoop::quit);
        QMetaObject::invokeMethod(m_engine, &GatewayEngine::stop, Qt::QueuedConnection);
        loop.exec();
    }
    m_thread.quit();
    m_thread.wait();
}

void GatewayController::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void GatewayController::start(const GatewayConfig &config)
{
    setState(State::Starting);
    invoke([config](GatewayEngine *engine) { engine->start(config); });
}

void GatewayController::stop()
{
    if (m_state == State::Stopped || m_state == State::Failed) {
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
    QMetaObject::invokeMethod(m_engine, [engine = m_engine, slot] { slot(engine); }, Qt::QueuedConnection);
}

void GatewayController::disconnectSession(quint64 id)
{
    invoke([id](GatewayEngine *engine) { engine->disconnectSession(id); });
}

void GatewayController::approveCsr(qint64 id)
{
    invoke([id](GatewayEngine *engine) { engine->approveCsr(id); });
}

void GatewayController::rejectCsr(qint64 id)
{
    invoke([id](GatewayEngine *engine) { engine->rejectCsr(id); });
}

void GatewayController::revokeCertificate(quint64 serial)
{
    invoke([serial](GatewayEngine *engine) { engine->revokeCertificate(serial); });
}

void GatewayController::requestPkiSnapshot()
{
    invoke([](GatewayEngine *engine) { engine->requestPkiSnapshot(); });
}

} // namespace SeaCat
