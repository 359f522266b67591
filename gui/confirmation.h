// One confirmation box for every view. Views hold a `Confirmation::Ask` member that tests
// replace, so the real widgets are tested without a modal dialog.
#pragma once

#include <QCoreApplication>
#include <QMessageBox>
#include <functional>

namespace Confirmation {
using Ask = std::function<bool(const QString &question)>;

inline Ask messageBox(QWidget *parent)
{
    return [parent](const QString &question) {
        return QMessageBox::question(parent, QCoreApplication::translate("Confirmation", "Please confirm"), question) ==
               QMessageBox::Yes;
    };
}
} // namespace Confirmation
