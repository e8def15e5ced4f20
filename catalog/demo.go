package catalog

import (
	"fmt"

	"sicherkommunal/ent/schema/types"
)

// DemoName and DemoVersion name the demonstration catalogue.
const (
	DemoName    = "SicherKOMMUNAL Demonstrationskatalog (keine BSI-Texte)"
	DemoVersion = "2026.1"
)

// demoQuestion is a question of the demonstration catalogue: its text,
// effort and help (optional).
type demoQuestion struct{ q, effort, help string }

// demoGoals and demoQuestions are the demonstration catalogue's texts by
// checklist number: the team's own wording, written to show the system
// at work. They are not the BSI's check questions and must not be taken
// for them.
var demoGoals = map[int]string{
	1:  "Auch unterwegs und im Homeoffice bleiben dienstliche Daten geschützt.",
	2:  "Räume und Haustechnik tragen zur Sicherheit der IT bei.",
	3:  "Daten lassen sich nach einem Verlust vollständig und rechtzeitig wiederherstellen.",
	4:  "Büroanwendungen sind aktuell und öffnen keine Hintertüren.",
	5:  "Arbeitsplatzrechner sind einheitlich, aktuell und gehärtet.",
	6:  "Drucker und Multifunktionsgeräte geben keine Daten preis.",
	7:  "Die Administration der IT ist geregelt, nachvollziehbar und geschützt.",
	8:  "Smartphones und Tablets werden verwaltet und bei Verlust gesperrt.",
	9:  "Das Netz ist gegliedert, dokumentiert und nach außen abgesichert.",
	10: "Zuständigkeiten für Informationssicherheit sind festgelegt und gelebt.",
	11: "Dienstleister und Cloud-Dienste werden bewusst ausgewählt und gesteuert.",
	12: "Jede Person hat genau die Rechte, die ihre Aufgabe verlangt.",
	13: "Server und Archive stehen in geschützten, überwachten Räumen.",
	14: "Server werden sicher betrieben, überwacht und gepflegt.",
	15: "Grundlegende Schutzmechanismen wehren alltägliche Angriffe ab.",
	16: "Telefonanlage und Fax sind gegen Missbrauch geschützt.",
	17: "Informationen werden nach ihrem Schutzbedarf behandelt und entsorgt.",
	18: "Im Ernstfall weiß jede und jeder, was zu tun ist.",
	19: "Internetauftritt und Online-Dienste sind sicher betrieben.",
}

var demoQuestions = map[int][]demoQuestion{
	1: {
		{"Gibt es eine schriftliche Regel, welche dienstlichen Arbeiten außerhalb der Verwaltung erlaubt sind?", "gering", "Dienstvereinbarung oder Dienstanweisung zum mobilen Arbeiten."},
		{"Greifen Beschäftigte von außen nur über eine verschlüsselte Verbindung auf das Verwaltungsnetz zu?", "mittel", ""},
		{"Sind die Festplatten dienstlicher Notebooks verschlüsselt?", "mittel", "Stichprobe an zwei Geräten genügt für die Erhebung."},
		{"Wissen die Beschäftigten, wie sie Bildschirm und Unterlagen unterwegs vor fremden Blicken schützen?", "gering", ""},
	},
	2: {
		{"Sind Räume mit IT-Technik außerhalb der Dienstzeit verschlossen?", "gering", ""},
		{"Ist geregelt, wer Schlüssel und Zutrittsmedien ausgibt und zurücknimmt?", "gering", "Schlüsselbuch oder Ausgabeliste."},
		{"Werden Besucherinnen und Besucher in nicht öffentlichen Bereichen begleitet?", "gering", ""},
		{"Ist die Stromversorgung wichtiger IT-Geräte gegen kurze Ausfälle abgesichert?", "mittel", "Unterbrechungsfreie Stromversorgung (USV) mit geprüfter Laufzeit."},
	},
	3: {
		{"Gibt es ein schriftliches Konzept, welche Daten wie oft gesichert werden?", "mittel", "Datensicherungskonzept mit Verantwortlichen und Sicherungsplan."},
		{"Wird mindestens eine Sicherung getrennt vom Netz aufbewahrt?", "mittel", "Offline-Medium oder unveränderbarer Speicher."},
		{"Wurde im letzten Jahr eine Wiederherstellung aus der Sicherung ausprobiert?", "mittel", ""},
		{"Liegen Sicherungen in einem anderen Brandabschnitt als die gesicherten Systeme?", "hoch", ""},
		{"Werden Sicherungen auf Erfolg überwacht und Fehler zeitnah bearbeitet?", "gering", ""},
	},
	4: {
		{"Werden Büroanwendungen automatisch oder regelmäßig aktualisiert?", "gering", ""},
		{"Sind Makros in Dokumenten aus dem Internet oder aus E-Mails standardmäßig gesperrt?", "mittel", "Zentrale Einstellung über Gruppenrichtlinien."},
		{"Ist festgelegt, welche Büroprogramme und Erweiterungen verwendet werden dürfen?", "gering", ""},
		{"Werden nicht mehr unterstützte Programmversionen erkannt und ersetzt?", "mittel", ""},
	},
	5: {
		{"Erhalten alle Arbeitsplatzrechner Sicherheitsupdates des Betriebssystems zeitnah?", "mittel", ""},
		{"Arbeiten Beschäftigte im Alltag ohne Administratorrechte?", "mittel", ""},
		{"Werden Rechner nach einer einheitlichen, dokumentierten Grundkonfiguration eingerichtet?", "hoch", "Installationsvorlage oder Softwareverteilung."},
		{"Sperrt sich der Bildschirm nach kurzer Zeit ohne Eingabe selbst?", "gering", ""},
	},
	6: {
		{"Werden vertrauliche Ausdrucke erst am Gerät nach Anmeldung ausgegeben?", "mittel", ""},
		{"Sind die Verwaltungsoberflächen der Drucker mit eigenen Passwörtern geschützt?", "gering", ""},
		{"Werden Datenträger von Multifunktionsgeräten vor Rückgabe oder Entsorgung gelöscht?", "mittel", "Vertragliche Regelung mit dem Leasinggeber prüfen."},
	},
	7: {
		{"Ist dokumentiert, wer welche IT-Systeme administriert?", "gering", ""},
		{"Nutzen Administratorinnen und Administratoren für Verwaltungsaufgaben eigene Konten?", "mittel", ""},
		{"Werden administrative Zugänge zusätzlich zum Passwort mit einem zweiten Faktor geschützt?", "hoch", ""},
		{"Gibt es ein aktuelles Verzeichnis der eingesetzten Hard- und Software?", "mittel", "Inventarliste mit Standort, Zuständigkeit und Version."},
		{"Werden wichtige Änderungen an Systemen vorher abgestimmt und festgehalten?", "gering", ""},
	},
	8: {
		{"Werden dienstliche Smartphones und Tablets zentral verwaltet?", "hoch", "Mobile-Device-Management."},
		{"Lässt sich ein verlorenes Gerät aus der Ferne sperren oder löschen?", "mittel", ""},
		{"Ist eine Displaysperre mit PIN oder biometrischer Anmeldung vorgeschrieben?", "gering", ""},
		{"Ist geregelt, welche Apps auf dienstlichen Geräten installiert werden dürfen?", "gering", ""},
	},
	9: {
		{"Gibt es einen aktuellen Plan des Netzes mit seinen Übergängen nach außen?", "mittel", "Netzplan mit Stand und Verantwortlichem."},
		{"Ist das Netz in Bereiche getrennt, etwa für Verwaltung, Gäste und Technik?", "hoch", ""},
		{"Schützt eine Firewall alle Verbindungen zwischen Verwaltungsnetz und Internet?", "mittel", ""},
		{"Ist ein Gäste-WLAN vom Verwaltungsnetz getrennt?", "gering", ""},
	},
	10: {
		{"Hat die Verwaltungsleitung eine Person für Informationssicherheit benannt?", "gering", "Schriftliche Bestellung mit Aufgaben und Zeitanteil."},
		{"Gibt es eine von der Leitung beschlossene Leitlinie zur Informationssicherheit?", "mittel", ""},
		{"Werden neue Beschäftigte bei Dienstantritt in die Sicherheitsregeln eingewiesen?", "gering", ""},
		{"Werden Zugänge ausscheidender Beschäftigter am letzten Arbeitstag gesperrt?", "gering", ""},
		{"Finden regelmäßig Schulungen zur Informationssicherheit für alle statt?", "mittel", ""},
	},
	11: {
		{"Ist bekannt, welche IT-Leistungen von Dienstleistern oder aus der Cloud bezogen werden?", "gering", ""},
		{"Regeln die Verträge mit Dienstleistern Sicherheit, Datenschutz und Meldepflichten?", "mittel", "Auftragsverarbeitungsvertrag und Sicherheitsanlage."},
		{"Ist geklärt, wie Daten bei Vertragsende zurückgegeben und gelöscht werden?", "mittel", ""},
		{"Werden Zugänge von Dienstleistern nur bei Bedarf und nachvollziehbar freigeschaltet?", "mittel", ""},
	},
	12: {
		{"Werden Rechte nach einem festgelegten Verfahren beantragt, genehmigt und dokumentiert?", "mittel", ""},
		{"Werden vergebene Rechte mindestens einmal im Jahr überprüft?", "mittel", ""},
		{"Gibt es Vorgaben für sichere Passwörter, die technisch durchgesetzt werden?", "gering", ""},
		{"Werden Sammelkonten, die sich mehrere Personen teilen, vermieden?", "gering", ""},
	},
	13: {
		{"Haben nur berechtigte Personen Zutritt zum Serverraum?", "gering", ""},
		{"Werden Temperatur und Feuchtigkeit im Serverraum überwacht?", "mittel", ""},
		{"Gibt es im Serverraum keine brennbaren Lagerbestände und keine Wasserleitungen?", "hoch", ""},
		{"Sind Archive mit Datenträgern gegen Feuer und unbefugten Zugriff geschützt?", "mittel", ""},
	},
	14: {
		{"Erhalten Server Sicherheitsupdates nach einem festen Zeitplan?", "mittel", ""},
		{"Sind auf Servern nur die Dienste aktiv, die tatsächlich benötigt werden?", "mittel", ""},
		{"Werden Protokolle der Server zentral gesammelt und ausgewertet?", "hoch", ""},
		{"Wird die Verfügbarkeit wichtiger Server überwacht und bei Störungen gemeldet?", "mittel", ""},
	},
	15: {
		{"Ist auf allen Rechnern ein aktueller Schutz gegen Schadprogramme aktiv?", "gering", ""},
		{"Werden E-Mail-Anhänge vor der Zustellung auf Schadcode geprüft?", "mittel", ""},
		{"Werden Zugriffe auf bekannte schädliche Webseiten blockiert?", "mittel", ""},
		{"Ist die Ausführung unbekannter Programme auf Arbeitsplatzrechnern eingeschränkt?", "hoch", "Anwendungssteuerung, zum Beispiel über Freigabelisten."},
	},
	16: {
		{"Ist die Verwaltung der Telefonanlage mit eigenen, geänderten Passwörtern geschützt?", "gering", ""},
		{"Sind teure Sonderrufnummern und Auslandsverbindungen gesperrt, wo sie nicht gebraucht werden?", "gering", ""},
		{"Werden eingehende Faxe mit personenbezogenen Daten vor fremdem Zugriff geschützt?", "gering", ""},
	},
	17: {
		{"Ist festgelegt, welche Informationen vertraulich sind und wie sie zu behandeln sind?", "mittel", ""},
		{"Werden Papierunterlagen mit vertraulichem Inhalt sicher vernichtet?", "gering", "Aktenvernichter oder beauftragter Entsorger mit Nachweis."},
		{"Werden Datenträger vor der Weitergabe oder Entsorgung sicher gelöscht?", "mittel", ""},
		{"Werden vertrauliche Informationen nur verschlüsselt per E-Mail versandt?", "mittel", ""},
	},
	18: {
		{"Wissen die Beschäftigten, wem sie einen Verdacht auf einen Sicherheitsvorfall melden?", "gering", "Aushang oder Intranetseite mit Meldeweg und Erreichbarkeit."},
		{"Gibt es einen Ablaufplan für den Umgang mit Sicherheitsvorfällen?", "mittel", ""},
		{"Liegen Notfallkontakte von Dienstleistern und Behörden auch auf Papier vor?", "gering", ""},
		{"Wurde das Vorgehen bei einem Vorfall schon einmal geübt?", "hoch", ""},
	},
	19: {
		{"Werden Webseiten und Online-Dienste nur verschlüsselt über HTTPS angeboten?", "gering", ""},
		{"Werden das Redaktionssystem und seine Erweiterungen zeitnah aktualisiert?", "mittel", ""},
		{"Ist der Zugang zur Redaktion der Webseite auf die zuständigen Personen beschränkt?", "gering", ""},
		{"Ist geregelt, wer bei einem Angriff auf die Webseite informiert wird und handelt?", "gering", ""},
	},
}

// Demo returns the DEMONSTRATION catalogue: the 19 WiBA checklists with
// their titles and priorities, each with three to five questions the team
// wrote itself (77 in all), none of them the BSI's. References are the
// checklists' short names and the numbers ("Backup-3").
func Demo() *Catalogue {
	published := types.Date(2026, 1, 5)
	c := &Catalogue{
		Name:        DemoName,
		Version:     DemoVersion,
		Source:      "Eigene Formulierungen des SicherKOMMUNAL-Teams zur Demonstration; keine Texte des BSI.",
		PublishedOn: &published,
	}
	for _, cl := range checklists {
		g := Group{Number: cl.Number, Priority: cl.Priority, Title: cl.Title, Goal: demoGoals[cl.Number]}
		for i, q := range demoQuestions[cl.Number] {
			g.Requirements = append(g.Requirements, Requirement{
				Ref: fmt.Sprintf("%s-%d", cl.Short, i+1), Number: i + 1, Question: q.q, Effort: q.effort, Help: q.help})
		}
		c.Groups = append(c.Groups, g)
	}
	return c
}
