<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="cs_CZ">
<context>
    <name>ActivityChart</name>
    <message>
        <source>now</source>
        <translation>nyní</translation>
    </message>
    <message>
        <source>−%1 min</source>
        <translation>−%1 min</translation>
    </message>
    <message>
        <source>requests per second (left scale)</source>
        <translation>požadavky za sekundu (levá stupnice)</translation>
    </message>
    <message>
        <source>open sessions (right scale)</source>
        <translation>otevřené relace (pravá stupnice)</translation>
    </message>
</context>
<context>
    <name>CertificatesView</name>
    <message>
        <source>Export CA certificate…</source>
        <translation>Exportovat certifikát CA…</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Received</source>
        <translation>Přijato</translation>
    </message>
    <message>
        <source>Client tag</source>
        <translation>Značka klienta</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Klíč</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>Subjekt</translation>
    </message>
    <message>
        <source>Serial</source>
        <translation>Sériové číslo</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Stav</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Platí do</translation>
    </message>
    <message>
        <source>Approve…</source>
        <translation>Schválit…</translation>
    </message>
    <message>
        <source>Reject…</source>
        <translation>Zamítnout…</translation>
    </message>
    <message>
        <source>Revoke…</source>
        <translation>Odvolat…</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportovat…</translation>
    </message>
    <message>
        <source>Export certificate</source>
        <translation>Export certifikátu</translation>
    </message>
    <message>
        <source>PEM certificates (*.pem)</source>
        <translation>Certifikáty PEM (*.pem)</translation>
    </message>
    <message>
        <source>Certificate authority</source>
        <translation>Certifikační autorita</translation>
    </message>
    <message>
        <source>Pending certificate requests</source>
        <translation>Čekající žádosti o certifikát</translation>
    </message>
    <message>
        <source>Issued and revoked certificates</source>
        <translation>Vydané a odvolané certifikáty</translation>
    </message>
    <message>
        <source>Issue a client certificate for request %1?</source>
        <translation>Vydat klientský certifikát pro žádost %1?</translation>
    </message>
    <message>
        <source>Reject request %1? The client cannot enrol with this key again.</source>
        <translation>Zamítnout žádost %1? Klient se s tímto klíčem už nebude moci zaregistrovat.</translation>
    </message>
    <message>
        <source>Revoke certificate %1? Its client is disconnected at once.</source>
        <translation>Odvolat certifikát %1? Jeho klient bude okamžitě odpojen.</translation>
    </message>
    <message>
        <source>The CA appears when the gateway has started.</source>
        <translation>Certifikační autorita se zobrazí po spuštění brány.</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt;&lt;br&gt;SHA-256 %2&lt;br&gt;valid until %3</source>
        <translation>&lt;b&gt;%1&lt;/b&gt;&lt;br&gt;SHA-256 %2&lt;br&gt;platí do %3</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>(prázdný)</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>odvolán</translation>
    </message>
    <message>
        <source>valid</source>
        <translation>platný</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>prošlý</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>Export selhal</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Nelze zapsat %1: %2</translation>
    </message>
    <message>
        <source>Client ID</source>
        <translation>ID klienta</translation>
    </message>
    <message>
        <source>Peer</source>
        <translation>Protistrana</translation>
    </message>
    <message>
        <source>not connected</source>
        <translation>nepřipojen</translation>
    </message>
    <message>
        <source>session %1, connected since %2</source>
        <translation>relace %1, připojena od %2</translation>
    </message>
    <message>
        <source>%1 (session %2)</source>
        <translation>%1 (relace %2)</translation>
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
Značka klienta: %2
ID klienta: %3
Klíč: %4
Protistrana: %5
Přijato: %6
Certifikát platný %7 dní, do %8</translation>
    </message>
    <message>
        <source>Certificate %1 itself is not at hand here: seacat-gateway ctl pki export %1</source>
        <translation>Samotný certifikát %1 tu není k dispozici: seacat-gateway ctl pki export %1</translation>
    </message>
</context>
<context>
    <name>Confirmation</name>
    <message>
        <source>Please confirm</source>
        <translation>Potvrďte prosím</translation>
    </message>
</context>
<context>
    <name>ConnectDialog</name>
    <message>
        <source>Connect to gateway</source>
        <translation>Připojit k bráně</translation>
    </message>
    <message>
        <source>none: the gateway&apos;s own machine (loopback)</source>
        <translation>žádná: stroj brány (loopback)</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Procházet…</translation>
    </message>
    <message>
        <source>Workstation identity</source>
        <translation>Identita pracovní stanice</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>Připojit</translation>
    </message>
    <message>
        <source>Admin API</source>
        <translation>Administrační API</translation>
    </message>
    <message>
        <source>Identity (seacat-gateway admin issue)</source>
        <translation>Identita (seacat-gateway admin issue)</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not the admin API&apos;s address (http://127.0.0.1:9543, https://HOST:PORT)</source>
        <translation>„%1“ není adresa administračního API (http://127.0.0.1:9543, https://HOST:PORT)</translation>
    </message>
    <message>
        <source>https needs a workstation identity (seacat-gateway admin issue NAME DIR on the server)</source>
        <translation>https potřebuje identitu pracovní stanice (seacat-gateway admin issue NAME DIR na serveru)</translation>
    </message>
</context>
<context>
    <name>LogView</name>
    <message>
        <source>Debug and above</source>
        <translation>Ladění a výše</translation>
    </message>
    <message>
        <source>Info and above</source>
        <translation>Informace a výše</translation>
    </message>
    <message>
        <source>Warnings and errors</source>
        <translation>Varování a chyby</translation>
    </message>
    <message>
        <source>Errors only</source>
        <translation>Jen chyby</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>SeaCat Gateway — %1</source>
        <translation>Brána SeaCat — %1</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Relace</translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation>Certifikáty</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Nastavení</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Záznam</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>Brána</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Spustit</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Zastavit</translation>
    </message>
    <message>
        <source>mode: %1</source>
        <translation>režim: %1</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>spouštím…</translation>
    </message>
    <message>
        <source>listening on %1:%2</source>
        <translation>naslouchá na %1:%2</translation>
    </message>
    <message>
        <source>not listening: %1</source>
        <translation>nenaslouchá: %1</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>zastaveno</translation>
    </message>
    <message>
        <source>certificate %1 of %2 expires on %3</source>
        <translation>certifikát %1 klienta %2 vyprší %3</translation>
    </message>
    <message numerus="yes">
        <source>%n session(s)</source>
        <translation><numerusform>%n relace</numerusform><numerusform>%n relace</numerusform><numerusform>%n relací</numerusform></translation>
    </message>
    <message>
        <source>%1 requests/s, in %2/s, out %3/s</source>
        <translation>%1 požadavků/s, příchozí %2/s, odchozí %3/s</translation>
    </message>
    <message>
        <source>up %1</source>
        <translation>běží %1</translation>
    </message>
    <message numerus="yes">
        <source>Stop the gateway? %n session(s) will be closed.</source>
        <translation><numerusform>Zastavit bránu? Bude ukončena %n relace.</numerusform><numerusform>Zastavit bránu? Budou ukončeny %n relace.</numerusform><numerusform>Zastavit bránu? Bude ukončeno %n relací.</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Quit? The gateway stops and %n session(s) will be closed.</source>
        <translation><numerusform>Ukončit? Brána se zastaví a bude ukončena %n relace.</numerusform><numerusform>Ukončit? Brána se zastaví a budou ukončeny %n relace.</numerusform><numerusform>Ukončit? Brána se zastaví a bude ukončeno %n relací.</numerusform></translation>
    </message>
    <message>
        <source>Certificates (%1 pending)</source>
        <translation>Certifikáty (čekající: %1)</translation>
    </message>
    <message>
        <source>certificate store unreachable</source>
        <translation>úložiště certifikátů nedostupné</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Soubor</translation>
    </message>
    <message>
        <source>&amp;Connect to gateway…</source>
        <translation>&amp;Připojit k bráně…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Ukončit</translation>
    </message>
    <message>
        <source>connection to the gateway lost: %1; trying again in %2 s</source>
        <translation>spojení s bránou ztraceno: %1; nový pokus za %2 s</translation>
    </message>
</context>
<context>
    <name>RemoteGateway</name>
    <message>
        <source>closed while the window was not connected</source>
        <translation>ukončena, zatímco okno nebylo připojeno</translation>
    </message>
    <message>
        <source>session %1 not closed: %2</source>
        <translation>relace %1 nebyla ukončena: %2</translation>
    </message>
    <message>
        <source>an attached window does not open tunnels yet: on the gateway&apos;s admin API use seacat-gateway ctl tunnel open TAG PORT</source>
        <translation>připojené okno zatím tunely neotevírá: použijte admin API brány, seacat-gateway ctl tunnel open TAG PORT</translation>
    </message>
</context>
<context>
    <name>SessionTableModel</name>
    <message>
        <source>Peer</source>
        <translation>Protistrana</translation>
    </message>
    <message>
        <source>Client</source>
        <translation>Klient</translation>
    </message>
    <message>
        <source>TLS</source>
        <translation>TLS</translation>
    </message>
    <message>
        <source>Streams</source>
        <translation>Proudy</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>Požadavky</translation>
    </message>
    <message>
        <source>In</source>
        <translation>Příchozí</translation>
    </message>
    <message>
        <source>Out</source>
        <translation>Odchozí</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Připojeno</translation>
    </message>
    <message>
        <source>Last activity</source>
        <translation>Aktivita</translation>
    </message>
    <message>
        <source>anonymous</source>
        <translation>anonymní</translation>
    </message>
    <message>
        <source>enrolling %1</source>
        <translation>registrace %1</translation>
    </message>
</context>
<context>
    <name>SessionsView</name>
    <message>
        <source>Disconnect</source>
        <translation>Odpojit</translation>
    </message>
    <message>
        <source>Filter by address, client tag, cipher…</source>
        <translation>Filtrovat podle adresy, značky klienta, šifry…</translation>
    </message>
    <message>
        <source>Select a session to see its details.</source>
        <translation>Vyberte relaci pro zobrazení podrobností.</translation>
    </message>
    <message>
        <source>anonymous (no valid client certificate)</source>
        <translation>anonymní (bez platného klientského certifikátu)</translation>
    </message>
    <message>
        <source>%1&lt;br&gt;Client ID %2…&lt;br&gt;certificate %3: %4</source>
        <translation>%1&lt;br&gt;ID klienta %2…&lt;br&gt;certifikát %3: %4</translation>
    </message>
    <message>
        <source>&lt;b&gt;Session %1&lt;/b&gt;&lt;br&gt;%2:%3&lt;br&gt;%4 %5&lt;br&gt;&lt;br&gt;&lt;b&gt;Client&lt;/b&gt;&lt;br&gt;%6&lt;br&gt;&lt;br&gt;&lt;b&gt;Traffic&lt;/b&gt;&lt;br&gt;%7 streams open, %8 in all, %9 refused&lt;br&gt;%10 requests&lt;br&gt;%11 in, %12 out&lt;br&gt;%13 frames in, %14 out&lt;br&gt;%15 unknown, %16 malformed frames&lt;br&gt;%17 pings</source>
        <translation>&lt;b&gt;Relace %1&lt;/b&gt;&lt;br&gt;%2:%3&lt;br&gt;%4 %5&lt;br&gt;&lt;br&gt;&lt;b&gt;Klient&lt;/b&gt;&lt;br&gt;%6&lt;br&gt;&lt;br&gt;&lt;b&gt;Provoz&lt;/b&gt;&lt;br&gt;otevřené proudy: %7, celkem %8, odmítnuté %9&lt;br&gt;požadavky: %10&lt;br&gt;příchozí %11, odchozí %12&lt;br&gt;rámce příchozí %13, odchozí %14&lt;br&gt;neznámé rámce %15, chybné %16&lt;br&gt;pingy: %17</translation>
    </message>
    <message>
        <source>none</source>
        <translation>žádné</translation>
    </message>
    <message>
        <source>&lt;br&gt;&lt;br&gt;&lt;b&gt;Telemetry&lt;/b&gt;&lt;br&gt;%1&lt;br&gt;&lt;br&gt;&lt;b&gt;Recent streams&lt;/b&gt;&lt;br&gt;%2</source>
        <translation>&lt;br&gt;&lt;br&gt;&lt;b&gt;Telemetrie&lt;/b&gt;&lt;br&gt;%1&lt;br&gt;&lt;br&gt;&lt;b&gt;Poslední proudy&lt;/b&gt;&lt;br&gt;%2</translation>
    </message>
    <message>
        <source>the anonymous client at %1</source>
        <translation>anonymního klienta na %1</translation>
    </message>
    <message>
        <source>client %1 at %2</source>
        <translation>klienta %1 na %2</translation>
    </message>
    <message>
        <source>Disconnect %1? Its open streams are cut off.</source>
        <translation>Odpojit %1? Jeho otevřené proudy budou přerušeny.</translation>
    </message>
    <message>
        <source>the enrolling client %1 at %2</source>
        <translation>registrujícího se klienta %1 na %2</translation>
    </message>
    <message>
        <source>enrolling %1 (no valid client certificate yet)&lt;br&gt;Client ID %2…</source>
        <translation>registrace %1 (zatím bez platného klientského certifikátu)&lt;br&gt;ID klienta %2…</translation>
    </message>
    <message>
        <source>Open tunnel…</source>
        <translation>Otevřít tunel…</translation>
    </message>
    <message>
        <source>Open tunnel</source>
        <translation>Otevřít tunel</translation>
    </message>
    <message>
        <source>Port on client %1 (it must be in [tunnels] tunnel-ports):</source>
        <translation>Port na klientovi %1 (musí být v [tunnels] tunnel-ports):</translation>
    </message>
    <message>
        <source>Listen on this host at ADDRESS:PORT (port 0: any):</source>
        <translation>Naslouchat na tomto počítači na ADRESA:PORT (port 0: libovolný):</translation>
    </message>
    <message>
        <source>%1: %2:%3 → port %4, %5 open, %6 to / %7 from, by %8 at %9</source>
        <translation>%1: %2:%3 → port %4, otevřená spojení: %5, %6 tam / %7 zpět, otevřel %8 v %9</translation>
    </message>
    <message>
        <source>&lt;br&gt;&lt;br&gt;&lt;b&gt;Tunnels&lt;/b&gt;&lt;br&gt;%1</source>
        <translation>&lt;br&gt;&lt;br&gt;&lt;b&gt;Tunely&lt;/b&gt;&lt;br&gt;%1</translation>
    </message>
</context>
<context>
    <name>SettingsView</name>
    <message>
        <source>I want this reserved port anyway</source>
        <translation>Přesto chci tento vyhrazený port</translation>
    </message>
    <message>
        <source>Apply port</source>
        <translation>Použít port</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Uložit</translation>
    </message>
    <message>
        <source>Where clients connect</source>
        <translation>Kam se klienti připojují</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Adresa</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>Port</translation>
    </message>
    <message>
        <source>combined: anonymous clients may enrol, requests need a certificate</source>
        <translation>kombinovaný: anonymní klienti se mohou registrovat, požadavky vyžadují certifikát</translation>
    </message>
    <message>
        <source>authorized: like combined, silent anonymous clients are closed</source>
        <translation>autorizovaný: jako kombinovaný, nečinní anonymní klienti jsou odpojeni</translation>
    </message>
    <message>
        <source>anonymous: every client is served</source>
        <translation>anonymní: obslouženi jsou všichni klienti</translation>
    </message>
    <message>
        <source>manual: an administrator approves each request</source>
        <translation>ručně: každou žádost schvaluje správce</translation>
    </message>
    <message>
        <source>auto: every valid request is signed</source>
        <translation>automaticky: každá platná žádost je podepsána</translation>
    </message>
    <message>
        <source>Host (NAME.seacat)</source>
        <translation>Hostitel (NÁZEV.seacat)</translation>
    </message>
    <message>
        <source>Backend URL</source>
        <translation>URL backendu</translation>
    </message>
    <message>
        <source>Add backend</source>
        <translation>Přidat backend</translation>
    </message>
    <message>
        <source>Remove backend</source>
        <translation>Odebrat backend</translation>
    </message>
    <message>
        <source>Applied at the next start</source>
        <translation>Použije se při příštím spuštění</translation>
    </message>
    <message>
        <source>Gateway name (certificate CN)</source>
        <translation>Název brány (CN certifikátu)</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>Režim</translation>
    </message>
    <message>
        <source>Certificate approval</source>
        <translation>Schvalování certifikátů</translation>
    </message>
    <message>
        <source>Backends</source>
        <translation>Backendy</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not an IP address (0.0.0.0 for all, or one of this machine&apos;s addresses)</source>
        <translation>„%1“ není IP adresa (0.0.0.0 pro všechny, nebo jedna z adres tohoto počítače)</translation>
    </message>
    <message>
        <source>Opening port %1…</source>
        <translation>Otevírám port %1…</translation>
    </message>
    <message>
        <source>Port 443 is recommended: SeaCat traffic looks like HTTPS, so about 95 % of networks let it through.</source>
        <translation>Doporučen je port 443: provoz SeaCat vypadá jako HTTPS, proto projde asi 95 % sítí.</translation>
    </message>
    <message>
        <source>Port 80 reaches only about 67 % of networks (443: about 95 %). It is reserved: confirm to use it.</source>
        <translation>Port 80 projde jen asi 67 % sítí (443: asi 95 %). Je vyhrazený: potvrďte jeho použití.</translation>
    </message>
    <message>
        <source>Ports up to 1024 are reserved for other services; use 443 (about 95 % reachability) or a port above 1024. Confirm to use it anyway.</source>
        <translation>Porty do 1024 jsou vyhrazeny jiným službám; použijte 443 (dostupnost asi 95 %) nebo port nad 1024. Pro použití i tak potvrďte.</translation>
    </message>
    <message>
        <source>A custom port above 1024 reaches about 86 % of networks; 443 reaches about 95 %.</source>
        <translation>Vlastní port nad 1024 projde asi 86 % sítí; port 443 asi 95 %.</translation>
    </message>
    <message>
        <source>Listening on %1 port %2.</source>
        <translation>Naslouchá na %1, port %2.</translation>
    </message>
    <message>
        <source>Saved to %1; applied at the next start.</source>
        <translation>Uloženo do %1; použije se při příštím spuštění.</translation>
    </message>
    <message>
        <source>Listening on %1 port %2; saved to %3.</source>
        <translation>Naslouchá na %1, port %2; uloženo do %3.</translation>
    </message>
    <message>
        <source>Listening on %1 port %2, but not saved: %3</source>
        <translation>Naslouchá na %1, port %2, ale neuloženo: %3</translation>
    </message>
    <message>
        <source>%1. The port is back to %2, where the gateway still serves.</source>
        <translation>%1. Port je zpět na %2, kde brána dál obsluhuje klienty.</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>Nic se nezměnilo.</translation>
    </message>
</context>
</TS>
