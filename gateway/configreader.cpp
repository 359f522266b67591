#include "configreader.h"

#include <QFile>
#include <QStringBuilder>

namespace SeaCat {

QString formatProblem(const ConfigProblem &problem)
{
    if (problem.file.isEmpty())
        return problem.message;
    if (problem.line <= 0)
        return problem.file % u": " % problem.message;
    return problem.file % u':' % QString::number(problem.line) % u": " % problem.message;
}

namespace {

struct Line {
    int number = 0;
    QString section; // as written
    QString key;     // empty for a section header
    QString rawValue;
};

// A value the way QSettings' INI reader decodes what GatewayConfig's editIni() writes: "quoted"
// parts with \" \\ \n \t escapes, a ';' outside quotes starts a comment, '@@' is a literal '@'.
// Decoded here rather than asked from QSettings because QSettings answers with the last of
// duplicated keys and splits commas into lists (forward-headers is a comma list).
QString decodeValue(const QString &raw)
{
    QString value;
    bool quoted = false;
    const QString text = raw.trimmed();
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == u'"') {
            quoted = !quoted;
        } else if (c == u'\\' && i + 1 < text.size()) {
            const QChar next = text.at(++i);
            value += next == u'n' ? QChar(u'\n') : next == u't' ? QChar(u'\t') : next;
        } else if (c == u';' && !quoted) {
            break;
        } else {
            value += c;
        }
    }
    if (!text.startsWith(u'"'))
        value = value.trimmed();
    if (value.startsWith(QStringLiteral("@@")))
        value.remove(0, 1);
    return value;
}

} // namespace

ConfigFile readConfigFile(const QString &path, QList<ConfigProblem> *problems)
{
    ConfigFile result;
    auto problem = [&](int line, const QString &message) { problems->append({path, line, message}); };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        problem(0, QStringLiteral("cannot read the config file: %1").arg(file.errorString()));
        return result;
    }
    const QList<QByteArray> text = file.readAll().split('\n');
    QHash<QString, int> seen;         // "section/key" → first line
    QHash<QString, int> hostSections; // host key → line of its header
    QHash<QString, int> hostUris;     // host key → line of its uri
    QString section, sectionKey;      // as written; lower-cased for matching
    bool hostSection = false, knownSection = false;
    QList<Line> values;
    for (int i = 0; i < text.size(); ++i) {
        const int number = i + 1;
        const QString line = QString::fromUtf8(text.at(i)).trimmed();
        if (line.isEmpty() || line.startsWith(u';') || line.startsWith(u'#'))
            continue;
        if (line.startsWith(u'[')) {
            if (!line.endsWith(u']')) {
                problem(number, QStringLiteral("'%1' is not a [section] header").arg(line));
                section.clear();
                knownSection = false;
                continue;
            }
            section = line.mid(1, line.size() - 2).trimmed();
            sectionKey = section.toLower();
            hostSection = sectionKey.startsWith(u"host:");
            knownSection = hostSection || section == u"gateway" || section == u"limits" || section == u"pki" ||
                           section == u"tunnels";
            if (!knownSection) {
                problem(number, QStringLiteral(
                                    "unknown section [%1] (known: [gateway], [limits], [pki], [tunnels], [host:NAME])")
                                    .arg(section));
            } else if (hostSection) {
                if (const int first = hostSections.value(sectionKey); first) {
                    problem(number, QStringLiteral("[%1] again: backend '%2' is already defined at line %3")
                                        .arg(section, section.mid(5))
                                        .arg(first));
                } else {
                    hostSections.insert(sectionKey, number);
                }
            }
            continue;
        }
        const qsizetype eq = line.indexOf(u'=');
        if (eq <= 0) {
            problem(number, QStringLiteral("'%1' is neither key=value, a [section] nor a comment").arg(line));
            continue;
        }
        const QString key = line.left(eq).trimmed();
        if (section.isEmpty()) {
            problem(number, QStringLiteral("key '%1' must be inside a section such as [gateway]").arg(key));
            continue;
        }
        if (!knownSection)
            continue; // the section header was reported
        const QString id = sectionKey % u'/' % key;
        if (const int first = seen.value(id); first) {
            problem(number,
                    QStringLiteral("[%1] %2 is set again (first at line %3); each key may appear once per section")
                        .arg(section, key)
                        .arg(first));
            continue;
        }
        seen.insert(id, number);
        if (hostSection) {
            if (key != u"uri") {
                problem(number,
                        QStringLiteral("[%1] has only one key, uri=http(s)://HOST[:PORT][/PATH]; '%2' is unknown")
                            .arg(section, key));
                continue;
            }
            hostUris.insert(sectionKey, number);
        }
        values.append({number, section, key, line.mid(eq + 1)});
    }
    for (auto it = hostSections.cbegin(); it != hostSections.cend(); ++it)
        if (!hostUris.contains(it.key()))
            problem(it.value(), QStringLiteral("[%1] needs uri=http(s)://HOST[:PORT][/PATH]").arg(it.key()));

    for (const Line &line : std::as_const(values)) {
        const QString value = decodeValue(line.rawValue);
        const QString error = line.section.startsWith(u"host:", Qt::CaseInsensitive)
                                  ? result.config.addHost(line.section.mid(5), value)
                                  : result.config.set(line.key, value);
        if (!error.isEmpty())
            problem(line.number, QStringLiteral("[%1] %2").arg(line.section, error));
        result.lines.insert(line.section.toLower() % u'/' % line.key, line.number);
    }
    return result;
}

} // namespace SeaCat
