// File ▸ Connect to gateway…: the admin API's address (http://127.0.0.1:9543 on the server
// itself, https://HOST:PORT with a workstation identity otherwise) and the identity directory,
// with the gateways connected to before (QSettings, newest first, at most MaxRecent).
#pragma once

#include <QDialog>
#include <QUrl>

class QComboBox;
class QLabel;
class QLineEdit;
class MainWindow;

class ConnectDialog final : public QDialog
{
    Q_OBJECT

public:
    static constexpr int MaxRecent = 10;

    explicit ConnectDialog(QWidget *parent = nullptr);

    QUrl url() const;
    QString identity() const;
    QComboBox *urlBox() const { return m_url; }
    QLineEdit *identityEdit() const { return m_identity; }

    // A window attached to the gateway at `url` (deleted when closed, its link with it), or
    // nullptr with `error` set: a URL that is not http(s), an identity that does not load.
    // Remembers the gateway among the recent ones.
    static MainWindow *openWindow(const QUrl &url, const QString &identity, QString *error);

private:
    void accept() override;

    QComboBox *m_url;
    QLineEdit *m_identity;
    QLabel *m_error;
};
