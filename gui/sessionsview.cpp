#include "sessionsview.h"

#include <utility>

#include <QHeaderView>
#include <QHostAddress>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "format.h"
#include "sessiontablemodel.h"

namespace {
constexpr int CellPadding = 5; // per side: the item delegate's margin (3) and some air
}

SessionsView::SessionsView(SessionTableModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_proxy(new QSortFilterProxyModel(this)), m_table(new QTableView),
      m_filter(new QLineEdit), m_disconnect(new QPushButton(tr("Disconnect"))),
      m_openTunnel(new QPushButton(tr("Open tunnel…"))), m_details(new QLabel)
{
    // When the selected session goes, QAbstractItemView (single selection) selects the next row;
    // a second click on Disconnect would then drop a session the admin never chose. The source
    // model is watched before the proxy is attached, so this runs before the view moves anything.
    connect(model, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this](const QModelIndex &, int first, int last) {
        const QModelIndexList rows = m_table->selectionModel()->selectedRows();
        const int row = rows.isEmpty() ? -1 : m_proxy->mapToSource(rows.first()).row();
        m_selectedRowRemoved = row >= first && row <= last;
    });
    m_proxy->setSourceModel(model);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, [this] {
        if (std::exchange(m_selectedRowRemoved, false))
            m_table->selectionModel()->clear();
    });
    m_proxy->setSortRole(SessionTableModel::RawDataRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    fitColumns();
    m_filter->setPlaceholderText(tr("Filter by address, client tag, cipher…"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_details->setWordWrap(true);
    m_details->setMinimumWidth(240);
    m_disconnect->setEnabled(false);

    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &SessionsView::showDetails);
    // Once per flush, however many rows it touched.
    connect(m_model, &SessionTableModel::flushed, this, &SessionsView::showDetails);
    // A reset (a large batch of closes) drops the selection; the admin's session is put back
    // by its id, so the detail pane stays on it.
    connect(m_proxy, &QAbstractItemModel::modelAboutToBeReset, this, [this] { m_keptSessionId = selectedSessionId(); });
    connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] {
        const int row = m_keptSessionId ? m_model->rowOf(m_keptSessionId) : -1;
        m_keptSessionId = 0;
        if (row >= 0)
            m_table->selectRow(m_proxy->mapFromSource(m_model->index(row, 0)).row());
    });
    confirm = Confirmation::messageBox(this);
    connect(m_disconnect, &QPushButton::clicked, this, [this] {
        const quint64 id = selectedSessionId();
        if (!id)
            return;
        const SeaCat::SessionInfo s = m_model->session(m_model->rowOf(id));
        const QString peer = QStringLiteral("%1:%2").arg(s.peerAddress).arg(s.peerPort);
        const QString who = !s.clientTag.isEmpty() ? tr("client %1 at %2").arg(s.clientTag, peer)
                            : !s.enrollingClientTag.isEmpty()
                                ? tr("the enrolling client %1 at %2").arg(s.enrollingClientTag, peer)
                                : tr("the anonymous client at %1").arg(peer);
        if (confirm(tr("Disconnect %1? Its open streams are cut off.").arg(who)))
            emit disconnectRequested(id);
    });

    askTunnel = [this](const SeaCat::SessionInfo &s) -> std::optional<SeaCat::TunnelRequest> {
        bool ok = false;
        const int port = QInputDialog::getInt(
            this, tr("Open tunnel"), tr("Port on client %1 (it must be in [tunnels] tunnel-ports):").arg(s.clientTag),
            22, 1, 65535, 1, &ok);
        if (!ok)
            return std::nullopt;
        const QString listen =
            QInputDialog::getText(this, tr("Open tunnel"), tr("Listen on this host at ADDRESS:PORT (port 0: any):"),
                                  QLineEdit::Normal, QStringLiteral("127.0.0.1:0"), &ok);
        const qsizetype colon = listen.lastIndexOf(u':');
        SeaCat::TunnelRequest request;
        const uint listenPort = listen.mid(colon + 1).toUInt(&ok);
        if (!ok || colon < 0 || listenPort > 65535 || !request.listenAddress.setAddress(listen.left(colon)))
            return std::nullopt;
        request.devicePort = quint16(port);
        request.listenPort = quint16(listenPort);
        return request;
    };
    connect(m_openTunnel, &QPushButton::clicked, this, [this] {
        const quint64 id = selectedSessionId();
        if (!id)
            return;
        std::optional<SeaCat::TunnelRequest> request = askTunnel(m_model->session(m_model->rowOf(id)));
        if (!request)
            return;
        request->sessionId = id;
        request->owner = QStringLiteral("gui");
        emit tunnelRequested(*request);
    });

    auto *splitter = new QSplitter;
    splitter->addWidget(m_table);
    auto *side = new QWidget;
    auto *sideLayout = new QVBoxLayout(side);
    // Twenty recent streams and the telemetry are taller than a 1280×800 window has room for.
    auto *detailsScroll = new QScrollArea;
    detailsScroll->setWidget(m_details);
    detailsScroll->setWidgetResizable(true);
    detailsScroll->setFrameShape(QFrame::NoFrame);
    sideLayout->addWidget(detailsScroll, 1);
    sideLayout->addWidget(m_openTunnel);
    sideLayout->addWidget(m_disconnect);
    splitter->addWidget(side);
    // The table takes what the window grows by; the detail pane keeps its width.
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 0);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_filter);
    layout->addWidget(splitter, 1);
    showDetails();
}

void SessionsView::fitColumns()
{
    // Every column in view in the default 1280×800 window, none cut off but TLS, which takes
    // the width left and elides (the detail pane has the whole cipher). Widths come from the
    // longest value a column shows, measured once: ResizeToContents would measure every row
    // at every update.
    QHeaderView *header = m_table->horizontalHeader();
    header->setStretchLastSection(false);
    header->setMinimumSectionSize(40);
    header->setSectionResizeMode(SessionTableModel::Tls, QHeaderView::Stretch);
    const QFontMetrics metrics = m_table->fontMetrics();
    const auto fit = [&](int column, const QStringList &longest) {
        int width = header->sectionSizeHint(column);
        for (const QString &text : longest)
            width = qMax(width, metrics.horizontalAdvance(text) + 2 * CellPadding);
        m_table->setColumnWidth(column, width);
    };
    const QString tag = u'[' + QString(16, u'N') + u']'; // 16 base32 characters, N about the widest common one
    fit(SessionTableModel::PeerAddress, {QStringLiteral("255.255.255.255:65535")});
    fit(SessionTableModel::Client,
        {tag, SessionTableModel::tr("enrolling %1").arg(tag), SessionTableModel::tr("anonymous")});
    fit(SessionTableModel::Streams, {QStringLiteral("100")});
    fit(SessionTableModel::Requests, {QStringLiteral("1000000")});
    for (int column : {SessionTableModel::BytesIn, SessionTableModel::BytesOut})
        fit(column, {Format::bytes(1023), Format::bytes(1023ull << 30)});
    const QDateTime sample(QDate(2026, 12, 28), QTime(23, 59, 59));
    fit(SessionTableModel::Since, {SessionTableModel::formatSince(sample, sample.date()),
                                   SessionTableModel::formatSince(sample, sample.date().addDays(1))});
    fit(SessionTableModel::LastActivity, {QStringLiteral("23:59:59")});
}

quint64 SessionsView::selectedSessionId() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? 0 : rows.first().data(SessionTableModel::SessionIdRole).toULongLong();
}

QString SessionsView::htmlLines(const QStringList &lines)
{
    if (lines.isEmpty())
        return tr("none");
    QStringList escaped;
    for (const QString &line : lines)
        escaped << line.toHtmlEscaped();
    return escaped.join(QStringLiteral("<br>"));
}

void SessionsView::showDetails()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    m_disconnect->setEnabled(!rows.isEmpty());
    m_openTunnel->setEnabled(false);
    if (rows.isEmpty()) {
        m_details->setText(tr("Select a session to see its details."));
        return;
    }
    const SeaCat::SessionInfo s = m_model->session(m_proxy->mapToSource(rows.first()).row());
    m_openTunnel->setEnabled(!s.clientId.isEmpty()); // anonymous sessions never get tunnels
    QStringList tunnels;
    for (const SeaCat::TunnelInfo &t : std::as_const(m_tunnels))
        if (t.sessionId == s.id)
            tunnels << tr("%1: %2:%3 → port %4, %5 open, %6 to / %7 from, by %8 at %9")
                           .arg(t.id)
                           .arg(t.listenAddress)
                           .arg(t.listenPort)
                           .arg(t.devicePort)
                           .arg(t.connections)
                           .arg(Format::bytes(t.bytesToDevice), Format::bytes(t.bytesFromDevice), t.owner,
                                t.created.toLocalTime().toString(QStringLiteral("HH:mm:ss")));
    const QString client = !s.clientTag.isEmpty() ? tr("%1<br>Client ID %2…<br>certificate %3: %4")
                                                        .arg(s.clientTag, s.clientId.left(24))
                                                        .arg(s.certificateSerial)
                                                        .arg(s.certificateSubject.toHtmlEscaped())
                           : !s.enrollingClientTag.isEmpty()
                               ? tr("enrolling %1 (no valid client certificate yet)<br>Client ID %2…")
                                     .arg(s.enrollingClientTag, s.enrollingClientId.left(24))
                               : tr("anonymous (no valid client certificate)");
    m_details->setText(tr("<b>Session %1</b><br>%2:%3<br>%4 %5<br><br><b>Client</b><br>%6<br><br>"
                          "<b>Traffic</b><br>%7 streams open, %8 in all, %9 refused<br>%10 requests<br>"
                          "%11 in, %12 out<br>%13 frames in, %14 out<br>%15 unknown, %16 malformed frames<br>%17 pings")
                           .arg(s.id)
                           .arg(s.peerAddress)
                           .arg(s.peerPort)
                           .arg(s.tlsProtocol, s.cipher, client)
                           .arg(s.openStreams)
                           .arg(s.streamsTotal)
                           .arg(s.refusedStreams)
                           .arg(s.requests)
                           .arg(Format::bytes(s.bytesIn), Format::bytes(s.bytesOut))
                           .arg(s.framesIn)
                           .arg(s.framesOut)
                           .arg(s.unknownFrames)
                           .arg(s.malformedFrames)
                           .arg(s.pingsReceived) +
                       tr("<br><br><b>Tunnels</b><br>%1").arg(htmlLines(tunnels)) +
                       tr("<br><br><b>Telemetry</b><br>%1<br><br><b>Recent streams</b><br>%2")
                           .arg(htmlLines(s.telemetry), htmlLines(s.recentStreams)));
}

void SessionsView::showTunnel(const SeaCat::TunnelInfo &tunnel)
{
    m_tunnels.insert(tunnel.id, tunnel);
    showDetails();
}

void SessionsView::showTunnels(const QList<SeaCat::TunnelInfo> &tunnels)
{
    // Counters of known tunnels only: a late update never brings a closed one back.
    for (const SeaCat::TunnelInfo &tunnel : tunnels)
        if (m_tunnels.contains(tunnel.id))
            m_tunnels[tunnel.id] = tunnel;
    showDetails();
}

void SessionsView::removeTunnel(quint64 tunnelId)
{
    if (m_tunnels.remove(tunnelId))
        showDetails();
}
