<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>ActivityChart</name>
    <message>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <source>−%1 min</source>
        <translation>−%1 min</translation>
    </message>
    <message>
        <source>requests per second (left scale)</source>
        <translation>Anfragen pro Sekunde (linke Skala)</translation>
    </message>
    <message>
        <source>open sessions (right scale)</source>
        <translation>offene Sitzungen (rechte Skala)</translation>
    </message>
</context>
<context>
    <name>CertificatesView</name>
    <message>
        <source>Export CA certificate…</source>
        <translation>CA-Zertifikat exportieren…</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Received</source>
        <translation>Empfangen</translation>
    </message>
    <message>
        <source>Client tag</source>
        <translation>Client-Tag</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>Subjekt</translation>
    </message>
    <message>
        <source>Serial</source>
        <translation>Seriennummer</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Läuft ab</translation>
    </message>
    <message>
        <source>Approve…</source>
        <translation>Genehmigen…</translation>
    </message>
    <message>
        <source>Reject…</source>
        <translation>Ablehnen…</translation>
    </message>
    <message>
        <source>Revoke…</source>
        <translation>Widerrufen…</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportieren…</translation>
    </message>
    <message>
        <source>Export certificate</source>
        <translation>Zertifikat exportieren</translation>
    </message>
    <message>
        <source>PEM certificates (*.pem)</source>
        <translation>PEM-Zertifikate (*.pem)</translation>
    </message>
    <message>
        <source>Certificate authority</source>
        <translation>Zertifizierungsstelle</translation>
    </message>
    <message>
        <source>Pending certificate requests</source>
        <translation>Offene Zertifikatsanfragen</translation>
    </message>
    <message>
        <source>Issued and revoked certificates</source>
        <translation>Ausgestellte und widerrufene Zertifikate</translation>
    </message>
    <message>
        <source>Issue a client certificate for request %1?</source>
        <translation>Ein Client-Zertifikat für Anfrage %1 ausstellen?</translation>
    </message>
    <message>
        <source>Reject request %1? The client cannot enrol with this key again.</source>
        <translation>Anfrage %1 ablehnen? Der Client kann sich mit diesem Schlüssel nicht erneut registrieren.</translation>
    </message>
    <message>
        <source>Revoke certificate %1? Its client is disconnected at once.</source>
        <translation>Zertifikat %1 widerrufen? Sein Client wird sofort getrennt.</translation>
    </message>
    <message>
        <source>The CA appears when the gateway has started.</source>
        <translation>Die Zertifizierungsstelle erscheint, sobald das Gateway läuft.</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt;&lt;br&gt;SHA-256 %2&lt;br&gt;valid until %3</source>
        <translation>&lt;b&gt;%1&lt;/b&gt;&lt;br&gt;SHA-256 %2&lt;br&gt;gültig bis %3</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>(leer)</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>widerrufen</translation>
    </message>
    <message>
        <source>valid</source>
        <translation>gültig</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>abgelaufen</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>Export fehlgeschlagen</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>Client ID</source>
        <translation>Client-ID</translation>
    </message>
    <message>
        <source>Peer</source>
        <translation>Gegenstelle</translation>
    </message>
    <message>
        <source>not connected</source>
        <translation>nicht verbunden</translation>
    </message>
    <message>
        <source>session %1, connected since %2</source>
        <translation>Sitzung %1, verbunden seit %2</translation>
    </message>
    <message>
        <source>%1 (session %2)</source>
        <translation>%1 (Sitzung %2)</translation>
    </message>
    <message>
        <source>Subject: %1
Client Tag: %2
Client ID: %3
Key: %4
Peer: %5
Received: %6
Certificate valid for %7 days, until %8</source>
        <translation>Subjekt: %1
Client-Tag: %2
Client-ID: %3
Schlüssel: %4
Gegenstelle: %5
Empfangen: %6
Zertifikat gültig für %7 Tage, bis %8</translation>
    </message>
    <message>
        <source>Certificate %1 itself is not at hand here: seacat-gateway ctl pki export %1</source>
        <translation>Das Zertifikat %1 selbst liegt hier nicht vor: seacat-gateway ctl pki export %1</translation>
    </message>
</context>
<context>
    <name>Confirmation</name>
    <message>
        <source>Please confirm</source>
        <translation>Bitte bestätigen</translation>
    </message>
</context>
<context>
    <name>ConnectDialog</name>
    <message>
        <source>Connect to gateway</source>
        <translation>Mit Gateway verbinden</translation>
    </message>
    <message>
        <source>none: the gateway&apos;s own machine (loopback)</source>
        <translation>keine: der Rechner des Gateways (Loopback)</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Workstation identity</source>
        <translation>Identität des Arbeitsplatzes</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>Verbinden</translation>
    </message>
    <message>
        <source>Admin API</source>
        <translation>Admin-API</translation>
    </message>
    <message>
        <source>Identity (seacat-gateway admin issue)</source>
        <translation>Identität (seacat-gateway admin issue)</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not the admin API&apos;s address (http://127.0.0.1:9543, https://HOST:PORT)</source>
        <translation>„%1“ ist keine Adresse der Admin-API (http://127.0.0.1:9543, https://HOST:PORT)</translation>
    </message>
    <message>
        <source>https needs a workstation identity (seacat-gateway admin issue NAME DIR on the server)</source>
        <translation>https braucht eine Arbeitsplatz-Identität (seacat-gateway admin issue NAME DIR auf dem Server)</translation>
    </message>
</context>
<context>
    <name>LogView</name>
    <message>
        <source>Debug and above</source>
        <translation>Debug und höher</translation>
    </message>
    <message>
        <source>Info and above</source>
        <translation>Info und höher</translation>
    </message>
    <message>
        <source>Warnings and errors</source>
        <translation>Warnungen und Fehler</translation>
    </message>
    <message>
        <source>Errors only</source>
        <translation>Nur Fehler</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>SeaCat Gateway — %1</source>
        <translation>SeaCat-Gateway — %1</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sitzungen</translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation>Zertifikate</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Protokoll</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Starten</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <source>mode: %1</source>
        <translation>Modus: %1</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>startet…</translation>
    </message>
    <message>
        <source>listening on %1:%2</source>
        <translation>lauscht auf %1:%2</translation>
    </message>
    <message>
        <source>not listening: %1</source>
        <translation>lauscht nicht: %1</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>angehalten</translation>
    </message>
    <message>
        <source>certificate %1 of %2 expires on %3</source>
        <translation>Zertifikat %1 von %2 läuft am %3 ab</translation>
    </message>
    <message numerus="yes">
        <source>%n session(s)</source>
        <translation><numerusform>%n Sitzung</numerusform><numerusform>%n Sitzungen</numerusform></translation>
    </message>
    <message>
        <source>%1 requests/s, in %2/s, out %3/s</source>
        <translation>%1 Anfragen/s, ein %2/s, aus %3/s</translation>
    </message>
    <message>
        <source>up %1</source>
        <translation>läuft seit %1</translation>
    </message>
    <message numerus="yes">
        <source>Stop the gateway? %n session(s) will be closed.</source>
        <translation><numerusform>Gateway stoppen? %n Sitzung wird geschlossen.</numerusform><numerusform>Gateway stoppen? %n Sitzungen werden geschlossen.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Quit? The gateway stops and %n session(s) will be closed.</source>
        <translation><numerusform>Beenden? Das Gateway stoppt und %n Sitzung wird geschlossen.</numerusform><numerusform>Beenden? Das Gateway stoppt und %n Sitzungen werden geschlossen.</numerusform></translation>
    </message>
    <message>
        <source>Certificates (%1 pending)</source>
        <translation>Zertifikate (%1 offen)</translation>
    </message>
    <message>
        <source>certificate store unreachable</source>
        <translation>Zertifikatsspeicher nicht erreichbar</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Connect to gateway…</source>
        <translation>Mit Gateway &amp;verbinden…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>connection to the gateway lost: %1; trying again in %2 s</source>
        <translation>Verbindung zum Gateway verloren: %1; neuer Versuch in %2 s</translation>
    </message>
</context>
<context>
    <name>RemoteGateway</name>
    <message>
        <source>closed while the window was not connected</source>
        <translation>geschlossen, während das Fenster nicht verbunden war</translation>
    </message>
    <message>
        <source>session %1 not closed: %2</source>
        <translation>Sitzung %1 nicht geschlossen: %2</translation>
    </message>
    <message>
        <source>an attached window does not open tunnels yet: on the gateway&apos;s admin API use seacat-gateway ctl tunnel open TAG PORT</source>
        <translation>ein verbundenes Fenster öffnet noch keine Tunnel: über die Admin-API des Gateways mit seacat-gateway ctl tunnel open TAG PORT</translation>
    </message>
</context>
<context>
    <name>SessionTableModel</name>
    <message>
        <source>Peer</source>
        <translation>Gegenstelle</translation>
    </message>
    <message>
        <source>Client</source>
        <translation>Client</translation>
    </message>
    <message>
        <source>TLS</source>
        <translation>TLS</translation>
    </message>
    <message>
        <source>Streams</source>
        <translation>Streams</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>Anfragen</translation>
    </message>
    <message>
        <source>In</source>
        <translation>Ein</translation>
    </message>
    <message>
        <source>Out</source>
        <translation>Aus</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Verbunden</translation>
    </message>
    <message>
        <source>Last activity</source>
        <translation>Aktivität</translation>
    </message>
    <message>
        <source>anonymous</source>
        <translation>anonym</translation>
    </message>
    <message>
        <source>enrolling %1</source>
        <translation>Anmeldung %1</translation>
    </message>
</context>
<context>
    <name>SessionsView</name>
    <message>
        <source>Disconnect</source>
        <translation>Trennen</translation>
    </message>
    <message>
        <source>Filter by address, client tag, cipher…</source>
        <translation>Nach Adresse, Client-Tag, Chiffre filtern…</translation>
    </message>
    <message>
        <source>Select a session to see its details.</source>
        <translation>Wählen Sie eine Sitzung, um Details zu sehen.</translation>
    </message>
    <message>
        <source>anonymous (no valid client certificate)</source>
        <translation>anonym (kein gültiges Client-Zertifikat)</translation>
    </message>
    <message>
        <source>%1&lt;br&gt;Client ID %2…&lt;br&gt;certificate %3: %4</source>
        <translation>%1&lt;br&gt;Client-ID %2…&lt;br&gt;Zertifikat %3: %4</translation>
    </message>
    <message>
        <source>&lt;b&gt;Session %1&lt;/b&gt;&lt;br&gt;%2:%3&lt;br&gt;%4 %5&lt;br&gt;&lt;br&gt;&lt;b&gt;Client&lt;/b&gt;&lt;br&gt;%6&lt;br&gt;&lt;br&gt;&lt;b&gt;Traffic&lt;/b&gt;&lt;br&gt;%7 streams open, %8 in all, %9 refused&lt;br&gt;%10 requests&lt;br&gt;%11 in, %12 out&lt;br&gt;%13 frames in, %14 out&lt;br&gt;%15 unknown, %16 malformed frames&lt;br&gt;%17 pings</source>
        <translation>&lt;b&gt;Sitzung %1&lt;/b&gt;&lt;br&gt;%2:%3&lt;br&gt;%4 %5&lt;br&gt;&lt;br&gt;&lt;b&gt;Client&lt;/b&gt;&lt;br&gt;%6&lt;br&gt;&lt;br&gt;&lt;b&gt;Verkehr&lt;/b&gt;&lt;br&gt;%7 Streams offen, %8 insgesamt, %9 abgewiesen&lt;br&gt;%10 Anfragen&lt;br&gt;%11 ein, %12 aus&lt;br&gt;%13 Frames ein, %14 aus&lt;br&gt;%15 unbekannte, %16 fehlerhafte Frames&lt;br&gt;%17 Pings</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>&lt;br&gt;&lt;br&gt;&lt;b&gt;Telemetry&lt;/b&gt;&lt;br&gt;%1&lt;br&gt;&lt;br&gt;&lt;b&gt;Recent streams&lt;/b&gt;&lt;br&gt;%2</source>
        <translation>&lt;br&gt;&lt;br&gt;&lt;b&gt;Telemetrie&lt;/b&gt;&lt;br&gt;%1&lt;br&gt;&lt;br&gt;&lt;b&gt;Letzte Streams&lt;/b&gt;&lt;br&gt;%2</translation>
    </message>
    <message>
        <source>the anonymous client at %1</source>
        <translation>den anonymen Client an %1</translation>
    </message>
    <message>
        <source>client %1 at %2</source>
        <translation>Client %1 an %2</translation>
    </message>
    <message>
        <source>Disconnect %1? Its open streams are cut off.</source>
        <translation>%1 trennen? Seine offenen Streams werden abgebrochen.</translation>
    </message>
    <message>
        <source>the enrolling client %1 at %2</source>
        <translation>den sich anmeldenden Client %1 an %2</translation>
    </message>
    <message>
        <source>enrolling %1 (no valid client certificate yet)&lt;br&gt;Client ID %2…</source>
        <translation>Anmeldung %1 (noch kein gültiges Client-Zertifikat)&lt;br&gt;Client-ID %2…</translation>
    </message>
    <message>
        <source>Open tunnel…</source>
        <translation>Tunnel öffnen…</translation>
    </message>
    <message>
        <source>Open tunnel</source>
        <translation>Tunnel öffnen</translation>
    </message>
    <message>
        <source>Port on client %1 (it must be in [tunnels] tunnel-ports):</source>
        <translation>Port auf Client %1 (er muss in [tunnels] tunnel-ports stehen):</translation>
    </message>
    <message>
        <source>Listen on this host at ADDRESS:PORT (port 0: any):</source>
        <translation>Auf diesem Rechner lauschen an ADRESSE:PORT (Port 0: beliebig):</translation>
    </message>
    <message>
        <source>%1: %2:%3 → port %4, %5 open, %6 to / %7 from, by %8 at %9</source>
        <translation>%1: %2:%3 → Port %4, %5 Verbindungen offen, %6 hin / %7 zurück, von %8 um %9</translation>
    </message>
    <message>
        <source>&lt;br&gt;&lt;br&gt;&lt;b&gt;Tunnels&lt;/b&gt;&lt;br&gt;%1</source>
        <translation>&lt;br&gt;&lt;br&gt;&lt;b&gt;Tunnel&lt;/b&gt;&lt;br&gt;%1</translation>
    </message>
</context>
<context>
    <name>SettingsView</name>
    <message>
        <source>I want this reserved port anyway</source>
        <translation>Ich will diesen reservierten Port trotzdem</translation>
    </message>
    <message>
        <source>Apply port</source>
        <translation>Port übernehmen</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>Where clients connect</source>
        <translation>Wo sich Clients verbinden</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>Port</translation>
    </message>
    <message>
        <source>combined: anonymous clients may enrol, requests need a certificate</source>
        <translation>kombiniert: anonyme Clients dürfen sich registrieren, Anfragen brauchen ein Zertifikat</translation>
    </message>
    <message>
        <source>authorized: like combined, silent anonymous clients are closed</source>
        <translation>autorisiert: wie kombiniert, untätige anonyme Clients werden getrennt</translation>
    </message>
    <message>
        <source>anonymous: every client is served</source>
        <translation>anonym: jeder Client wird bedient</translation>
    </message>
    <message>
        <source>manual: an administrator approves each request</source>
        <translation>manuell: ein Administrator genehmigt jede Anfrage</translation>
    </message>
    <message>
        <source>auto: every valid request is signed</source>
        <translation>automatisch: jede gültige Anfrage wird signiert</translation>
    </message>
    <message>
        <source>Host (NAME.seacat)</source>
        <translation>Host (NAME.seacat)</translation>
    </message>
    <message>
        <source>Backend URL</source>
        <translation>Backend-URL</translation>
    </message>
    <message>
        <source>Add backend</source>
        <translation>Backend hinzufügen</translation>
    </message>
    <message>
        <source>Remove backend</source>
        <translation>Backend entfernen</translation>
    </message>
    <message>
        <source>Applied at the next start</source>
        <translation>Gilt ab dem nächsten Start</translation>
    </message>
    <message>
        <source>Gateway name (certificate CN)</source>
        <translation>Gateway-Name (CN des Zertifikats)</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>Modus</translation>
    </message>
    <message>
        <source>Certificate approval</source>
        <translation>Zertifikatsgenehmigung</translation>
    </message>
    <message>
        <source>Backends</source>
        <translation>Backends</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not an IP address (0.0.0.0 for all, or one of this machine&apos;s addresses)</source>
        <translation>„%1“ ist keine IP-Adresse (0.0.0.0 für alle oder eine Adresse dieses Rechners)</translation>
    </message>
    <message>
        <source>Opening port %1…</source>
        <translation>Öffne Port %1…</translation>
    </message>
    <message>
        <source>Port 443 is recommended: SeaCat traffic looks like HTTPS, so about 95 % of networks let it through.</source>
        <translation>Port 443 wird empfohlen: SeaCat-Verkehr sieht wie HTTPS aus, daher lassen ihn etwa 95 % der Netze durch.</translation>
    </message>
    <message>
        <source>Port 80 reaches only about 67 % of networks (443: about 95 %). It is reserved: confirm to use it.</source>
        <translation>Port 80 erreicht nur etwa 67 % der Netze (443: etwa 95 %). Er ist reserviert: bestätigen Sie die Nutzung.</translation>
    </message>
    <message>
        <source>Ports up to 1024 are reserved for other services; use 443 (about 95 % reachability) or a port above 1024. Confirm to use it anyway.</source>
        <translation>Ports bis 1024 sind für andere Dienste reserviert; nutzen Sie 443 (etwa 95 % Erreichbarkeit) oder einen Port über 1024. Bestätigen Sie, um ihn trotzdem zu nutzen.</translation>
    </message>
    <message>
        <source>A custom port above 1024 reaches about 86 % of networks; 443 reaches about 95 %.</source>
        <translation>Ein eigener Port über 1024 erreicht etwa 86 % der Netze; 443 etwa 95 %.</translation>
    </message>
    <message>
        <source>Listening on %1 port %2.</source>
        <translation>Lauscht auf %1, Port %2.</translation>
    </message>
    <message>
        <source>Saved to %1; applied at the next start.</source>
        <translation>Gespeichert in %1; gilt ab dem nächsten Start.</translation>
    </message>
    <message>
        <source>Listening on %1 port %2; saved to %3.</source>
        <translation>Lauscht auf %1, Port %2; gespeichert in %3.</translation>
    </message>
    <message>
        <source>Listening on %1 port %2, but not saved: %3</source>
        <translation>Lauscht auf %1, Port %2, aber nicht gespeichert: %3</translation>
    </message>
    <message>
        <source>%1. The port is back to %2, where the gateway still serves.</source>
        <translation>%1. Der Port steht wieder auf %2, wo das Gateway weiter bedient.</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>Nichts geändert.</translation>
    </message>
</context>
</TS>
