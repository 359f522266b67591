#!/usr/bin/env python3
"""Fills seacat_cs.ts and seacat_de.ts from the tables below after `cmake --build build --target
update_translations`; a source without an entry fails, so no string ships untranslated."""
import html, re, sys, pathlib

CS = {
 'requests/s': 'požadavků/s', 'sessions': 'relace', 'certificate store unreachable': 'úložiště certifikátů nedostupné',
 'Export CA certificate…': 'Exportovat certifikát CA…', 'ID': 'ID', 'Received': 'Přijato', 'Client tag': 'Značka klienta',
 'Key': 'Klíč', 'Subject': 'Subjekt', 'Serial': 'Sériové číslo', 'Status': 'Stav', 'Expires': 'Platí do',
 'Approve…': 'Schválit…', 'Reject…': 'Zamítnout…', 'Revoke…': 'Odvolat…', 'Export…': 'Exportovat…',
 'Please confirm': 'Potvrďte prosím', 'Export certificate': 'Export certifikátu', 'PEM certificates (*.pem)': 'Certifikáty PEM (*.pem)',
 'Certificate authority': 'Certifikační autorita', 'Pending certificate requests': 'Čekající žádosti o certifikát',
 'Issued and revoked certificates': 'Vydané a odvolané certifikáty',
 'Issue a client certificate for request %1?': 'Vydat klientský certifikát pro žádost %1?',
 'Reject request %1? The client cannot enrol with this key again.': 'Zamítnout žádost %1? Klient se s tímto klíčem už nebude moci zaregistrovat.',
 'Revoke certificate %1? Its client is disconnected at once.': 'Odvolat certifikát %1? Jeho klient bude okamžitě odpojen.',
 'The CA appears when the gateway has started.': 'Certifikační autorita se zobrazí po spuštění brány.',
 '<b>%1</b><br>SHA-256 %2<br>valid until %3': '<b>%1</b><br>SHA-256 %2<br>platí do %3',
 '(empty)': '(prázdný)', 'revoked': 'odvolán', 'valid': 'platný', 'expired': 'prošlý', 'Export failed': 'Export selhal',
 'Cannot write %1: %2': 'Nelze zapsat %1: %2',
 'Debug and above': 'Ladění a výše', 'Info and above': 'Informace a výše', 'Warnings and errors': 'Varování a chyby', 'Errors only': 'Jen chyby',
 'SeaCat Gateway — %1': 'Brána SeaCat — %1', 'Sessions': 'Relace', 'Certificates': 'Certifikáty', 'Settings': 'Nastavení', 'Log': 'Záznam',
 'Gateway': 'Brána', 'Start': 'Spustit', 'Stop': 'Zastavit', 'mode: %1': 'režim: %1', 'starting…': 'spouštím…',
 'listening on %1:%2': 'naslouchá na %1:%2', 'not listening: %1': 'nenaslouchá: %1', 'stopped': 'zastaveno',
 'certificate %1 of %2 expires on %3': 'certifikát %1 klienta %2 vyprší %3',
 '%n session(s)': ('%n relace', '%n relace', '%n relací'),
 '%1 requests/s, in %2/s, out %3/s': '%1 požadavků/s, příchozí %2/s, odchozí %3/s', 'up %1': 'běží %1',
 'Peer': 'Protistrana', 'Client': 'Klient', 'TLS': 'TLS', 'Streams': 'Proudy', 'Requests': 'Požadavky', 'In': 'Příchozí', 'Out': 'Odchozí',
 'Connected': 'Připojeno', 'Last activity': 'Aktivita', 'anonymous': 'anonymní',
 'Disconnect': 'Odpojit', 'Filter by address, client tag, cipher…': 'Filtrovat podle adresy, značky klienta, šifry…',
 'Select a session to see its details.': 'Vyberte relaci pro zobrazení podrobností.',
 'anonymous (no valid client certificate)': 'anonymní (bez platného klientského certifikátu)',
 '%1<br>Client ID %2…<br>certificate %3: %4': '%1<br>ID klienta %2…<br>certifikát %3: %4',
 '<b>Session %1</b><br>%2:%3<br>%4 %5<br><br><b>Client</b><br>%6<br><br><b>Traffic</b><br>%7 streams open, %8 in all, %9 refused<br>%10 requests<br>%11 in, %12 out<br>%13 frames in, %14 out<br>%15 unknown, %16 malformed frames<br>%17 pings':
   '<b>Relace %1</b><br>%2:%3<br>%4 %5<br><br><b>Klient</b><br>%6<br><br><b>Provoz</b><br>otevřené proudy: %7, celkem %8, odmítnuté %9<br>požadavky: %10<br>příchozí %11, odchozí %12<br>rámce příchozí %13, odchozí %14<br>neznámé rámce %15, chybné %16<br>pingy: %17',
 'I want this reserved port anyway': 'Přesto chci tento vyhrazený port', 'Apply port': 'Použít port', 'Save': 'Uložit',
 'Where clients connect': 'Kam se klienti připojují', 'Address': 'Adresa', 'Port': 'Port',
 'combined: anonymous clients may enrol, requests need a certificate': 'kombinovaný: anonymní klienti se mohou registrovat, požadavky vyžadují certifikát',
 'authorized: like combined, silent anonymous clients are closed': 'autorizovaný: jako kombinovaný, nečinní anonymní klienti jsou odpojeni',
 'anonymous: every client is served': 'anonymní: obslouženi jsou všichni klienti',
 'manual: an administrator approves each request': 'ručně: každou žádost schvaluje správce',
 'auto: every valid request is signed': 'automaticky: každá platná žádost je podepsána',
 'Host (NAME.seacat)': 'Hostitel (NÁZEV.seacat)', 'Backend URL': 'URL backendu', 'Add backend': 'Přidat backend', 'Remove backend': 'Odebrat backend',
 'Applied at the next start': 'Použije se při příštím spuštění', 'Gateway name (certificate CN)': 'Název brány (CN certifikátu)', 'Mode': 'Režim',
 'Certificate approval': 'Schvalování certifikátů', 'Backends': 'Backendy',
 "'%1' is not an IP address (0.0.0.0 for all, or one of this machine's addresses)": '„%1“ není IP adresa (0.0.0.0 pro všechny, nebo jedna z adres tohoto počítače)',
 'Opening port %1…': 'Otevírám port %1…',
 'Port 443 is recommended: SeaCat traffic looks like HTTPS, so about 95 % of networks let it through.': 'Doporučen je port 443: provoz SeaCat vypadá jako HTTPS, proto projde asi 95 % sítí.',
 'Port 80 reaches only about 67 % of networks (443: about 95 %). It is reserved: confirm to use it.': 'Port 80 projde jen asi 67 % sítí (443: asi 95 %). Je vyhrazený: potvrďte jeho použití.',
 'Ports up to 1024 are reserved for other services; use 443 (about 95 % reachability) or a port above 1024. Confirm to use it anyway.': 'Porty do 1024 jsou vyhrazeny jiným službám; použijte 443 (dostupnost asi 95 %) nebo port nad 1024. Pro použití i tak potvrďte.',
 'A custom port above 1024 reaches about 86 % of networks; 443 reaches about 95 %.': 'Vlastní port nad 1024 projde asi 86 % sítí; port 443 asi 95 %.',
 '<br><br><b>Telemetry</b><br>%1<br><br><b>Recent streams</b><br>%2': '<br><br><b>Telemetrie</b><br>%1<br><br><b>Poslední proudy</b><br>%2',
 'none': 'žádné',
 'Listening on %1 port %2.': 'Naslouchá na %1, port %2.', 'Saved to %1; applied at the next start.': 'Uloženo do %1; použije se při příštím spuštění.',
 'Listening on %1 port %2; saved to %3.': 'Naslouchá na %1, port %2; uloženo do %3.',
 'Listening on %1 port %2, but not saved: %3': 'Naslouchá na %1, port %2, ale neuloženo: %3',
 '%1. The port is back to %2, where the gateway still serves.': '%1. Port je zpět na %2, kde brána dál obsluhuje klienty.',
 'Nothing changed.': 'Nic se nezměnilo.',
 'now': 'nyní',
 '−%1 min': '−%1 min',
 'requests per second (left scale)': 'požadavky za sekundu (levá stupnice)',
 'open sessions (right scale)': 'otevřené relace (pravá stupnice)',
 'Client ID': 'ID klienta',
 'Subject: %1\nClient Tag: %2\nClient ID: %3\nKey: %4\nPeer: %5\nReceived: %6\nCertificate valid for %7 days, until %8': 'Subjekt: %1\nZnačka klienta: %2\nID klienta: %3\nKlíč: %4\nProtistrana: %5\nPřijato: %6\nCertifikát platný %7 dní, do %8',
 'not connected': 'nepřipojen', 'session %1, connected since %2': 'relace %1, připojena od %2', '%1 (session %2)': '%1 (relace %2)',
 'enrolling %1': 'registrace %1', 'the enrolling client %1 at %2': 'registrujícího se klienta %1 na %2',
 'enrolling %1 (no valid client certificate yet)<br>Client ID %2…': 'registrace %1 (zatím bez platného klientského certifikátu)<br>ID klienta %2…',
 'Stop the gateway? %n session(s) will be closed.': ['Zastavit bránu? Bude ukončena %n relace.', 'Zastavit bránu? Budou ukončeny %n relace.', 'Zastavit bránu? Bude ukončeno %n relací.'],
 'Quit? The gateway stops and %n session(s) will be closed.': ['Ukončit? Brána se zastaví a bude ukončena %n relace.', 'Ukončit? Brána se zastaví a budou ukončeny %n relace.', 'Ukončit? Brána se zastaví a bude ukončeno %n relací.'],
 'Certificates (%1 pending)': 'Certifikáty (čekající: %1)',
 'the anonymous client at %1': 'anonymního klienta na %1',
 'client %1 at %2': 'klienta %1 na %2',
 'Disconnect %1? Its open streams are cut off.': 'Odpojit %1? Jeho otevřené proudy budou přerušeny.',
}
DE = {
 'requests/s': 'Anfragen/s', 'sessions': 'Sitzungen', 'certificate store unreachable': 'Zertifikatsspeicher nicht erreichbar',
 'Export CA certificate…': 'CA-Zertifikat exportieren…', 'ID': 'ID', 'Received': 'Empfangen', 'Client tag': 'Client-Tag',
 'Key': 'Schlüssel', 'Subject': 'Subjekt', 'Serial': 'Seriennummer', 'Status': 'Status', 'Expires': 'Läuft ab',
 'Approve…': 'Genehmigen…', 'Reject…': 'Ablehnen…', 'Revoke…': 'Widerrufen…', 'Export…': 'Exportieren…',
 'Please confirm': 'Bitte bestätigen', 'Export certificate': 'Zertifikat exportieren', 'PEM certificates (*.pem)': 'PEM-Zertifikate (*.pem)',
 'Certificate authority': 'Zertifizierungsstelle', 'Pending certificate requests': 'Offene Zertifikatsanfragen',
 'Issued and revoked certificates': 'Ausgestellte und widerrufene Zertifikate',
 'Issue a client certificate for request %1?': 'Ein Client-Zertifikat für Anfrage %1 ausstellen?',
 'Reject request %1? The client cannot enrol with this key again.': 'Anfrage %1 ablehnen? Der Client kann sich mit diesem Schlüssel nicht erneut registrieren.',
 'Revoke certificate %1? Its client is disconnected at once.': 'Zertifikat %1 widerrufen? Sein Client wird sofort getrennt.',
 'The CA appears when the gateway has started.': 'Die Zertifizierungsstelle erscheint, sobald das Gateway läuft.',
 '<b>%1</b><br>SHA-256 %2<br>valid until %3': '<b>%1</b><br>SHA-256 %2<br>gültig bis %3',
 '(empty)': '(leer)', 'revoked': 'widerrufen', 'valid': 'gültig', 'expired': 'abgelaufen', 'Export failed': 'Export fehlgeschlagen',
 'Cannot write %1: %2': '%1 kann nicht geschrieben werden: %2',
 'Debug and above': 'Debug und höher', 'Info and above': 'Info und höher', 'Warnings and errors': 'Warnungen und Fehler', 'Errors only': 'Nur Fehler',
 'SeaCat Gateway — %1': 'SeaCat-Gateway — %1', 'Sessions': 'Sitzungen', 'Certificates': 'Zertifikate', 'Settings': 'Einstellungen', 'Log': 'Protokoll',
 'Gateway': 'Gateway', 'Start': 'Starten', 'Stop': 'Anhalten', 'mode: %1': 'Modus: %1', 'starting…': 'startet…',
 'listening on %1:%2': 'lauscht auf %1:%2', 'not listening: %1': 'lauscht nicht: %1', 'stopped': 'angehalten',
 'certificate %1 of %2 expires on %3': 'Zertifikat %1 von %2 läuft am %3 ab',
 '%n session(s)': ('%n Sitzung', '%n Sitzungen'),
 '%1 requests/s, in %2/s, out %3/s': '%1 Anfragen/s, ein %2/s, aus %3/s', 'up %1': 'läuft seit %1',
 'Peer': 'Gegenstelle', 'Client': 'Client', 'TLS': 'TLS', 'Streams': 'Streams', 'Requests': 'Anfragen', 'In': 'Ein', 'Out': 'Aus',
 'Connected': 'Verbunden', 'Last activity': 'Aktivität', 'anonymous': 'anonym',
 'Disconnect': 'Trennen', 'Filter by address, client tag, cipher…': 'Nach Adresse, Client-Tag, Chiffre filtern…',
 'Select a session to see its details.': 'Wählen Sie eine Sitzung, um Details zu sehen.',
 'anonymous (no valid client certificate)': 'anonym (kein gültiges Client-Zertifikat)',
 '%1<br>Client ID %2…<br>certificate %3: %4': '%1<br>Client-ID %2…<br>Zertifikat %3: %4',
 '<b>Session %1</b><br>%2:%3<br>%4 %5<br><br><b>Client</b><br>%6<br><br><b>Traffic</b><br>%7 streams open, %8 in all, %9 refused<br>%10 requests<br>%11 in, %12 out<br>%13 frames in, %14 out<br>%15 unknown, %16 malformed frames<br>%17 pings':
   '<b>Sitzung %1</b><br>%2:%3<br>%4 %5<br><br><b>Client</b><br>%6<br><br><b>Verkehr</b><br>%7 Streams offen, %8 insgesamt, %9 abgewiesen<br>%10 Anfragen<br>%11 ein, %12 aus<br>%13 Frames ein, %14 aus<br>%15 unbekannte, %16 fehlerhafte Frames<br>%17 Pings',
 'I want this reserved port anyway': 'Ich will diesen reservierten Port trotzdem', 'Apply port': 'Port übernehmen', 'Save': 'Speichern',
 'Where clients connect': 'Wo sich Clients verbinden', 'Address': 'Adresse', 'Port': 'Port',
 'combined: anonymous clients may enrol, requests need a certificate': 'kombiniert: anonyme Clients dürfen sich registrieren, Anfragen brauchen ein Zertifikat',
 'authorized: like combined, silent anonymous clients are closed': 'autorisiert: wie kombiniert, untätige anonyme Clients werden getrennt',
 'anonymous: every client is served': 'anonym: jeder Client wird bedient',
 'manual: an administrator approves each request': 'manuell: ein Administrator genehmigt jede Anfrage',
 'auto: every valid request is signed': 'automatisch: jede gültige Anfrage wird signiert',
 'Host (NAME.seacat)': 'Host (NAME.seacat)', 'Backend URL': 'Backend-URL', 'Add backend': 'Backend hinzufügen', 'Remove backend': 'Backend entfernen',
 'Applied at the next start': 'Gilt ab dem nächsten Start', 'Gateway name (certificate CN)': 'Gateway-Name (CN des Zertifikats)', 'Mode': 'Modus',
 'Certificate approval': 'Zertifikatsgenehmigung', 'Backends': 'Backends',
 "'%1' is not an IP address (0.0.0.0 for all, or one of this machine's addresses)": '„%1“ ist keine IP-Adresse (0.0.0.0 für alle oder eine Adresse dieses Rechners)',
 'Opening port %1…': 'Öffne Port %1…',
 'Port 443 is recommended: SeaCat traffic looks like HTTPS, so about 95 % of networks let it through.': 'Port 443 wird empfohlen: SeaCat-Verkehr sieht wie HTTPS aus, daher lassen ihn etwa 95 % der Netze durch.',
 'Port 80 reaches only about 67 % of networks (443: about 95 %). It is reserved: confirm to use it.': 'Port 80 erreicht nur etwa 67 % der Netze (443: etwa 95 %). Er ist reserviert: bestätigen Sie die Nutzung.',
 'Ports up to 1024 are reserved for other services; use 443 (about 95 % reachability) or a port above 1024. Confirm to use it anyway.': 'Ports bis 1024 sind für andere Dienste reserviert; nutzen Sie 443 (etwa 95 % Erreichbarkeit) oder einen Port über 1024. Bestätigen Sie, um ihn trotzdem zu nutzen.',
 'A custom port above 1024 reaches about 86 % of networks; 443 reaches about 95 %.': 'Ein eigener Port über 1024 erreicht etwa 86 % der Netze; 443 etwa 95 %.',
 '<br><br><b>Telemetry</b><br>%1<br><br><b>Recent streams</b><br>%2': '<br><br><b>Telemetrie</b><br>%1<br><br><b>Letzte Streams</b><br>%2',
 'none': 'keine',
 'Listening on %1 port %2.': 'Lauscht auf %1, Port %2.', 'Saved to %1; applied at the next start.': 'Gespeichert in %1; gilt ab dem nächsten Start.',
 'Listening on %1 port %2; saved to %3.': 'Lauscht auf %1, Port %2; gespeichert in %3.',
 'Listening on %1 port %2, but not saved: %3': 'Lauscht auf %1, Port %2, aber nicht gespeichert: %3',
 '%1. The port is back to %2, where the gateway still serves.': '%1. Der Port steht wieder auf %2, wo das Gateway weiter bedient.',
 'Nothing changed.': 'Nichts geändert.',
 'now': 'jetzt',
 '−%1 min': '−%1 min',
 'requests per second (left scale)': 'Anfragen pro Sekunde (linke Skala)',
 'open sessions (right scale)': 'offene Sitzungen (rechte Skala)',
 'Client ID': 'Client-ID',
 'Subject: %1\nClient Tag: %2\nClient ID: %3\nKey: %4\nPeer: %5\nReceived: %6\nCertificate valid for %7 days, until %8': 'Subjekt: %1\nClient-Tag: %2\nClient-ID: %3\nSchlüssel: %4\nGegenstelle: %5\nEmpfangen: %6\nZertifikat gültig für %7 Tage, bis %8',
 'not connected': 'nicht verbunden', 'session %1, connected since %2': 'Sitzung %1, verbunden seit %2', '%1 (session %2)': '%1 (Sitzung %2)',
 'enrolling %1': 'Anmeldung %1', 'the enrolling client %1 at %2': 'den sich anmeldenden Client %1 an %2',
 'enrolling %1 (no valid client certificate yet)<br>Client ID %2…': 'Anmeldung %1 (noch kein gültiges Client-Zertifikat)<br>Client-ID %2…',
 'Stop the gateway? %n session(s) will be closed.': ['Gateway stoppen? %n Sitzung wird geschlossen.', 'Gateway stoppen? %n Sitzungen werden geschlossen.'],
 'Quit? The gateway stops and %n session(s) will be closed.': ['Beenden? Das Gateway stoppt und %n Sitzung wird geschlossen.', 'Beenden? Das Gateway stoppt und %n Sitzungen werden geschlossen.'],
 'Certificates (%1 pending)': 'Zertifikate (%1 offen)',
 'the anonymous client at %1': 'den anonymen Client an %1',
 'client %1 at %2': 'Client %1 an %2',
 'Disconnect %1? Its open streams are cut off.': '%1 trennen? Seine offenen Streams werden abgebrochen.',
}

def fill(path, table):
    text = path.read_text(encoding='utf-8')
    missing = []
    def replace(m):
        body = m.group(0)
        src = html.unescape(re.search(r'<source>(.*?)</source>', body, re.S).group(1))
        if src not in table:
            missing.append(src)
            return body
        t = table[src]
        if 'numerus="yes"' in body:
            forms = ''.join(f'<numerusform>{html.escape(f, quote=False)}</numerusform>' for f in t)
            new = f'<translation>{forms}</translation>'
        else:
            new = f'<translation>{html.escape(t, quote=False)}</translation>'
        return re.sub(r'<translation[^>]*?(/>|>.*?</translation>)', new, body, flags=re.S)
    text = re.sub(r'<message[^>]*>.*?</message>', replace, text, flags=re.S)
    path.write_text(text, encoding='utf-8')
    return missing

root = pathlib.Path(__file__).parent
bad = fill(root / 'seacat_cs.ts', CS) + fill(root / 'seacat_de.ts', DE)
if bad:
    sys.exit('untranslated: ' + repr(bad))
