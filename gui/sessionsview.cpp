#include "sessionsview.h"

#include <utility>

#include <QHeaderView>
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

SessionsView::SessionsView(SessionTableModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_proxy(new QSortFilterProxyModel(this)), m_table(new QTableView),
      m_filter(new QLineEdit), m_disconnect(new QPushButton(tr("Disconnect"))), m_details(new QLabel)
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
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    // Widths that keep every column in view in the default 1280×800 window.
    // (Fixed widths: ResizeToContents would measure every row at every update.)
    m_table->setColumnWidth(SessionTableModel::PeerAddress, 120);
    m_table->setColumnWidth(SessionTableModel::Client, 175); // a whole Client Tag
    m_table->setColumnWidth(SessionTableModel::Tls, 195);
    m_table->setColumnWidth(SessionTableModel::Streams, 60);
    m_table->setColumnWidth(SessionTableModel::Requests, 70);
    for (int column : {SessionTableModel::BytesIn, SessionTableModel::BytesOut})
        m_table->setColumnWidth(column, 75);
    m_table->setColumnWidth(SessionTableModel::Since, 115);
    m_table->horizontalHeader()->setMinimumSectionSize(40);
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
        const QString who = s.clientTag.isEmpty() ? tr("the anonymous client at %1").arg(peer)
                                                  : tr("client %1 at %2").arg(s.clientTag, peer);
        if (confirm(tr("Disconnect %1? Its open streams are cut off.").arg(who)))
            emit disconnectRequested(id);
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
    sideLayout->addWidget(m_disconnect);
    splitter->addWidget(side);
    splitter->setStretchFactor(0, 3);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_filter);
    layout->addWidget(splitter, 1);
    showDetails();
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
    if (rows.isEmpty()) {
        m_details->setText(tr("Select a session to see its details."));
        return;
    }
    const SeaCat::SessionInfo s = m_model->session(m_proxy->mapToSource(rows.first()).row());
    const QString client = s.clientTag.isEmpty()
        ? tr("anonymous (no valid client certificate)")
        : tr("%1<br>Client ID %2…<br>certificate %3: %4").arg(s.clientTag, s.clientId.left(24)).arg(s.certificateSerial).arg(s.certificateSubject.toHtmlEscaped());
    m_details->setText(tr("<b>Session %1</b><br>%2:%3<br>%4 %5<br><br><b>Client</b><br>%6<br><br>"
                          "<b>Traffic</b><br>%7 streams open, %8 in all, %9 refused<br>%10 requests<br>"
                          "%11 in, %12 out<br>%13 frames in, %14 out<br>%15 unknown, %16 malformed frames<br>%17 pings")
                           .arg(s.id).arg(s.peerAddress).arg(s.peerPort).arg(s.tlsProtocol, s.cipher, client)
                           .arg(s.openStreams).arg(s.streamsTotal).arg(s.refusedStreams).arg(s.requests)
                           .arg(Format::bytes(s.bytesIn), Format::bytes(s.bytesOut))
                           .arg(s.framesIn).arg(s.framesOut).arg(s.unknownFrames).arg(s.malformedFrames).arg(s.pingsReceived)
                       + tr("<br><br><b>Telemetry</b><br>%1<br><br><b>Recent streams</b><br>%2")
                             .arg(htmlLines(s.telemetry), htmlLines(s.recentStreams)));
}
