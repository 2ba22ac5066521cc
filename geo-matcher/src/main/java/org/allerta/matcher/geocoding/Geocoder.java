package org.allerta.matcher.geocoding;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.allerta.contracts.GeocodingStatus;
import org.allerta.contracts.LonLat;
import org.allerta.matcher.gazetteer.AddressNormaliser;
import org.allerta.matcher.gazetteer.AddressNormaliser.Parsed;
import org.allerta.service.Jdbc;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Finds an address as people write it in the gazetteer: the exact normalised street and number first; then the
 * register's name in a shorter form people write (a person's surname alone, a hamlet's street without the hamlet's
 * name); then the closest street name by trigram similarity (pg_trgm), with a confidence; the street's centroid only when the house
 * number is missing or unknown, flagged as such. A city or postcode in the text narrows the search.
 */
@ApplicationScoped
public class Geocoder {

    private final Jdbc jdbc;
    private final double minSimilarity;

    Geocoder(Jdbc jdbc, @ConfigProperty(name = "allerta.geocoding.min-similarity", defaultValue = "0.45")
             double minSimilarity) {
        this.jdbc = jdbc;
        this.minSimilarity = minSimilarity;
    }

    public Geocoded geocode(String text) {
        return jdbc.inTransaction(c -> geocode(c, text));
    }

    /** Geocodes inside the caller's transaction. */
    public Geocoded geocode(Connection c, String text) throws SQLException {
        Parsed parsed = AddressNormaliser.parse(text);
        Geocoded found = geocode(c, parsed);
        if (found.status() != GeocodingStatus.RESOLVED) {
            // "Via 28 Marzo 1921, 12": read first as number 1921 of "Via 28 Marzo", it is number 12 of the street
            // named with a year, when that street is there (the answer names the number the first reading took)
            Optional<Parsed> whole = AddressNormaliser.wholeFirstPart(text, parsed);
            if (whole.isPresent()) {
                Geocoded other = geocode(c, whole.get());
                if (other.status() == GeocodingStatus.RESOLVED
                        && AddressNormaliser.namesNumber(other.matchedAddress(), parsed.number())) {
                    return other;
                }
            }
        }
        return found;
    }

    private Geocoded geocode(Connection c, Parsed parsed) throws SQLException {
        if (parsed.street().isEmpty()) {
            return unresolved("NO_STREET_GIVEN");
        }
        Optional<Street> street = street(c, parsed);
        if (street.isEmpty() && !parsed.postcode().isEmpty()) {
            // postcodes change (Alessandria's 15100 became 15121 and 15122) and are mistyped: the street and city
            // are worth more, with a little less confidence
            Parsed anyPostcode = new Parsed(parsed.streetType(), parsed.street(), parsed.number(), "", parsed.city());
            street = street(c, anyPostcode).map(s -> s.lessSure(0.9));
        }
        if (street.isEmpty() && !parsed.city().isEmpty() && !knownCity(c, parsed.city())) {
            String withoutProvince = PROVINCE.matcher(parsed.city()).replaceFirst("");
            Optional<District> district = district(c, parsed.city())
                    .or(() -> withoutProvince.equals(parsed.city()) ? Optional.empty() : district(c, withoutProvince));
            if (!withoutProvince.equals(parsed.city()) && knownCity(c, withoutProvince)) {
                // "Alessandria (AL)", "Alessandria AL": the city, followed by its province's initials
                street = street(c, new Parsed(parsed.streetType(), parsed.street(), parsed.number(), "",
                        withoutProvince)).map(s -> s.lessSure(parsed.postcode().isEmpty() ? 1.0 : 0.95));
            } else if (district.isPresent()) {
                // "Via Levata 12, Spinetta Marengo": a hamlet or district written as the city
                street = inDistrict(c, parsed, district.get());
            } else if (knownCity(c, "")) {
                // a register imported without the city's name knows its streets under no city at all: those streets
                // alone; a city the gazetteer does not know is another city, never matched to a named city's street
                Parsed unnamed = new Parsed(parsed.streetType(), parsed.street(), parsed.number(), "", UNNAMED);
                street = street(c, unnamed).map(s -> s.lessSure(0.9));
            }
        }
        if (street.isEmpty() && !parsed.city().isEmpty() && !knownCity(c, parsed.city())) {
            // a city the gazetteer does not know may be a known one misspelt ("Alesandria", "Alessandira"): the
            // closest by trigrams, or else the postcode alone, each a little less sure; the street must still be there
            Optional<String> near = closestCity(c, PROVINCE.matcher(parsed.city()).replaceFirst(""));
            if (near.isPresent()) {
                street = street(c, new Parsed(parsed.streetType(), parsed.street(), parsed.number(),
                        parsed.postcode(), near.get())).map(s -> s.lessSure(0.8));
            }
            if (street.isEmpty()) {
                // a hamlet written short or misspelt ("Spinetta", "San Giuliano V.", "Spinetta Marenco"): among the
                // districts it may name, the one where the street is
                street = inNearDistrict(c, parsed, PROVINCE.matcher(parsed.city()).replaceFirst(""));
            }
            if (street.isEmpty() && !parsed.postcode().isEmpty()) {
                // a postcode several cities share names a street in each: the house number tells them apart, or the
                // answer says it is unsure (the city written may be one the gazetteer does not hold)
                List<Street> byPostcode = exactStreets(c, new Parsed(parsed.streetType(), parsed.street(),
                        parsed.number(), parsed.postcode(), ""));
                street = byPostcode.isEmpty() ? Optional.empty()
                        : Optional.of(choose(c, byPostcode, parsed.number()).lessSure(0.8));
            }
        }
        if (street.isEmpty()) {
            return unresolved("NO_SUCH_STREET");
        }
        Street found = street.get();
        if (!parsed.number().isEmpty()) {
            Optional<Geocoded> house = houseNumber(c, found, parsed.number());
            java.util.regex.Matcher building = BUILDING.matcher(parsed.number());
            if (house.isEmpty() && building.matches()) {
                // "24/1" the register does not subdivide, a range "10-12", or "90/B" where it has 90 and 90/A: the
                // building's number, a little less sure, rather than the middle of the street
                house = houseNumber(c, found.lessSure(0.9), building.group(1));
            }
            if (house.isPresent()) {
                return house.get();
            }
        }
        return centroid(c, found, parsed.number().isEmpty() ? "NO_NUMBER_GIVEN" : "NO_SUCH_NUMBER");
    }

    /**
     * A street of the gazetteer and how sure we are that it is the one meant; {@code district}, when not null, is
     * the district whose house numbers go first (a street that crosses several).
     */
    private record Street(String streetNorm, String cityNorm, double confidence, String district) {

        Street(String streetNorm, String cityNorm, double confidence) {
            this(streetNorm, cityNorm, confidence, null);
        }

        Street lessSure(double factor) {
            return new Street(streetNorm, cityNorm, confidence * factor, district);
        }
    }

    /** A district or hamlet of a city, as the register names it. */
    private record District(String name, String cityNorm) {
    }

    /**
     * The one city that has a district of this name, as written or with a saint's "S." spelt out ("Valle S.
     * Bartolomeo" is Valle San Bartolomeo; San, Santa, Santo and Sant' are tried in turn).
     */
    private static Optional<District> district(Connection c, String name) {
        Optional<District> found = districtNamed(c, name);
        if (found.isPresent() || !SAINT.matcher(name).find()) {
            return found;
        }
        for (String saint : new String[] {"san", "santa", "santo", "sant"}) {
            found = districtNamed(c, SAINT.matcher(name).replaceAll("$1" + saint + "$2"));
            if (found.isPresent()) {
                return found;
            }
        }
        return found;
    }

    /** "s" as a word of its own, the abbreviation of a saint's name once the dot is gone. */
    private static final java.util.regex.Pattern SAINT = java.util.regex.Pattern.compile("(^| )s( )");

    /** The one city that has a district of this name (a name two cities share says nothing). */
    private static Optional<District> districtNamed(Connection c, String name) {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT district, city_norm FROM address_district WHERE district_norm = ? LIMIT 2")) {
            s.setString(1, name);
            try (ResultSet rows = s.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                var found = new District(rows.getString(1), rows.getString(2));
                return rows.next() ? Optional.empty() : Optional.of(found);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A street of a hamlet written as the city. Registers tell a hamlet's street from the city's street of the same
     * name by adding the hamlet's ("Via Genova di Spinetta Marengo", "Via Antonio Gramsci In Cascinagrossa"): those
     * names first; then the street as written, only if it has house numbers in that hamlet (else it is another street
     * of the city, never the one meant).
     */
    private Optional<Street> inDistrict(Connection c, Parsed parsed, District district) {
        String hamlet = AddressNormaliser.clean(district.name());
        for (String joined : new String[] {" di ", " in "}) {
            Optional<Street> named = exactStreets(c, new Parsed(parsed.streetType(), parsed.street() + joined + hamlet,
                    parsed.number(), parsed.postcode(), district.cityNorm())).stream().findFirst();
            if (named.isPresent()) {
                return named.map(s -> new Street(s.streetNorm(), s.cityNorm(), s.confidence() * 0.95,
                        district.name()));
            }
        }
        // "Via Garibaldi 3, Spinetta Marengo": the hamlet's Via Giuseppe Garibaldi In Spinetta Marengo
        List<Street> shorter = shortForms(c, new Parsed(parsed.streetType(), parsed.street(), parsed.number(),
                parsed.postcode(), district.cityNorm()), AddressNormaliser.streetName(district.name()));
        if (!shorter.isEmpty()) {
            Street chosen = choose(c, shorter, parsed.number());
            return Optional.of(new Street(chosen.streetNorm(), chosen.cityNorm(), chosen.confidence() * 0.95,
                    district.name()));
        }
        Optional<Street> plain = street(c, new Parsed(parsed.streetType(), parsed.street(), parsed.number(), "",
                district.cityNorm()));
        if (plain.isEmpty() || !hasAddressesIn(c, plain.get(), district.name())) {
            return Optional.empty();
        }
        return plain.map(s -> new Street(s.streetNorm(), s.cityNorm(), s.confidence() * 0.9, district.name()));
    }

    /**
     * A street of a district written short or misspelt: the districts whose words begin with the words written
     * ("spinetta" for Spinetta Marengo, "san giuliano v" for San Giuliano Vecchio), or else those alike by trigrams;
     * of those, the one that has the street. Two that both have it leave the answer unsure.
     */
    private Optional<Street> inNearDistrict(Connection c, Parsed parsed, String written) {
        String[] words = written.split(" ");
        if (words[0].length() < 3 || written.length() < 6) {
            return Optional.empty();
        }
        var prefixed = new java.util.ArrayList<District>();
        var alike = new java.util.ArrayList<District>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT district, city_norm, similarity(district_norm, ?) FROM address_district
                WHERE district_norm LIKE ? OR district_norm % ? ORDER BY 3 DESC, 1, 2 LIMIT 20""")) {
            s.setString(1, written);
            s.setString(2, likeEscaped(words[0]) + "%");
            s.setString(3, written);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    var district = new District(rows.getString(1), rows.getString(2));
                    String[] named = AddressNormaliser.streetName(district.name()).split(" ");
                    boolean begins = named.length >= words.length;
                    for (int i = 0; begins && i < words.length; i++) {
                        begins = named[i].startsWith(words[i]);
                    }
                    if (begins) {
                        prefixed.add(district);
                    } else if (rows.getDouble(3) >= NEAR_DISTRICT) {
                        alike.add(district);
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        var found = new java.util.ArrayList<Street>();
        for (District district : prefixed.isEmpty() ? alike : prefixed) {
            inDistrict(c, parsed, district).ifPresent(found::add);
        }
        if (found.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(found.get(0).lessSure(found.size() == 1 ? 0.9 : 0.9 * AMBIGUOUS));
    }

    /** How alike a misspelt district's name must be to the register's ("spinetta marenco": 0.6). */
    static final double NEAR_DISTRICT = 0.6;

    private static boolean hasAddressesIn(Connection c, Street street, String district) {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT EXISTS (SELECT 1 FROM address WHERE street_norm = ? AND city_norm = ? AND district = ?)""")) {
            s.setString(1, street.streetNorm());
            s.setString(2, street.cityNorm());
            s.setString(3, district);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private Optional<Street> street(Connection c, Parsed parsed) {
        List<Street> exact = exactStreets(c, parsed);
        if (!exact.isEmpty()) {
            return Optional.of(choose(c, exact, parsed.number()));
        }
        // "Via 25 Aprile", "Corso XX Settembre", "Via Pio V", "Via S. Baudolino": the register may spell the number
        // or the saint out ("Venticinque Aprile", "San Pio Quinto", "San Baudolino"), a little less sure
        List<Parsed> spellings = AddressNormaliser.spellings(parsed.street()).stream()
                .map(name -> new Parsed(parsed.streetType(), name, parsed.number(), parsed.postcode(), parsed.city()))
                .toList();
        for (Parsed spelt : spellings) {
            exact = exactStreets(c, spelt);
            if (!exact.isEmpty()) {
                return Optional.of(choose(c, exact, parsed.number()).lessSure(0.95));
            }
        }
        // the name as written under another type ("Via Vittorio Veneto" for Piazza Vittorio Veneto), beside the
        // shorter forms of the type written (Via Vittorio Veneto di Castelceriolo): the house number tells them apart
        var shorter = new java.util.ArrayList<Street>();
        if (!parsed.streetType().isEmpty()) {
            exactStreets(c, new Parsed("", parsed.street(), parsed.number(), parsed.postcode(), parsed.city()))
                    .forEach(s -> shorter.add(new Street(s.streetNorm(), s.cityNorm(), OTHER_TYPE)));
        }
        shorter.addAll(shortForms(c, parsed, null));
        if (!shorter.isEmpty()) {
            return Optional.of(choose(c, shorter, parsed.number()));
        }
        Optional<Street> closest = closestStreet(c, parsed);
        for (int i = 0; closest.isEmpty() && i < spellings.size(); i++) {
            closest = closestStreet(c, spellings.get(i)).map(s -> s.lessSure(0.95));
        }
        return closest;
    }

    /**
     * The streets an address names in a shorter form than the register's: without the given names or the title of
     * the person the street is named after ("Via Mazzini" for Via Giuseppe Mazzini, "Via Campora" for Via Don Angelo
     * Campora), without its article ("Piazza Libertà" for Piazza della Libertà), without the hamlet the register
     * adds to tell a hamlet's street from the city's ("Via Genova 10, Alessandria" for Via Genova di Spinetta
     * Marengo), or both. Each omission makes the answer a little less sure; several streets that fit equally are
     * told apart by the house number, as for an exact name. {@code hamlet}, when not null, is a hamlet written as the
     * city: only the streets the register names after it.
     */
    private static List<Street> shortForms(Connection c, Parsed parsed, String hamlet) {
        String written = parsed.street();
        if (!LONG_WORD.matcher(written).find()) {
            return List.of();
        }
        String like = likeEscaped(written);
        var found = new java.util.ArrayList<Street>();
        var districts = new java.util.HashMap<String, List<String>>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT street_norm, city_norm, name_norm FROM address_street
                WHERE (name_norm LIKE '% ' || ? OR name_norm LIKE ? || ' di %' OR name_norm LIKE ? || ' in %'
                       OR name_norm LIKE '% ' || ? || ' di %' OR name_norm LIKE '% ' || ? || ' in %')
                  AND (? = '' OR street_norm = ? || ' ' || name_norm)
                  AND (? = '' OR city_norm = ?) AND (? = '' OR postcode = ?)
                GROUP BY 1, 2, 3 ORDER BY sum(addresses) DESC, 1, 2 LIMIT 100""")) {
            for (int i = 1; i <= 5; i++) {
                s.setString(i, like);
            }
            s.setString(6, parsed.streetType());
            s.setString(7, parsed.streetType());
            bindPlace(s, 8, parsed);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    String cityNorm = rows.getString(2);
                    String name = rows.getString(3);
                    String base = name;
                    String suffix = null;
                    for (String district : districts.computeIfAbsent(cityNorm, city -> districtsOf(c, city))) {
                        for (String joined : new String[] {" di ", " in "}) {
                            String tail = joined + district;
                            if (name.endsWith(tail) && name.length() > tail.length()
                                    && (suffix == null || district.length() > suffix.length())) {
                                base = name.substring(0, name.length() - tail.length());
                                suffix = district;
                            }
                        }
                    }
                    boolean namesOmitted = !base.equals(written);
                    String omitted = namesOmitted && base.endsWith(" " + written)
                            ? base.substring(0, base.length() - written.length() - 1) : null;
                    boolean article = omitted != null && ARTICLES.contains(omitted);
                    if (namesOmitted && !article && (omitted == null || !givenNames(omitted))) {
                        continue;
                    }
                    if (hamlet != null ? !hamlet.equals(suffix) : !namesOmitted && suffix == null) {
                        continue;
                    }
                    double confidence = (parsed.streetType().isEmpty() ? 0.95 : 1.0)
                            * (article ? 0.95 : namesOmitted ? 0.9 : 1.0)
                            * (hamlet == null && suffix != null ? 0.9 : 1.0);
                    found.add(new Street(rows.getString(1), cityNorm, confidence));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return found;
    }

    /** {@code text} matched literally inside a LIKE pattern (backslash being PostgreSQL's escape). */
    private static String likeEscaped(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    /** A word of three letters or more: a name worth looking for inside longer ones. */
    private static final java.util.regex.Pattern LONG_WORD = java.util.regex.Pattern.compile("\\p{L}{3}");

    /**
     * Words that are no person's given names or title: "Via Porta Roma" is not "Via Roma", nor "Via San Giovanni
     * Bosco" "Via Bosco".
     */
    private static final java.util.Set<String> NOT_GIVEN_NAMES = java.util.Set.of("di", "del", "della", "dello",
            "dei", "degli", "delle", "da", "dal", "dalla", "de", "d", "in", "al", "alla", "allo", "ai", "agli", "alle",
            "e", "porta", "ponte", "borgo", "san", "santa", "santo", "sant", "santi", "madonna", "nuova", "vecchia",
            "antica", "strada", "via", "piazza", "corso", "vicolo", "parco", "villa", "cascina", "case", "molino",
            "mulino", "fontana", "bosco", "monte", "colle", "valle", "lago", "fiume", "torre", "castello", "chiesa",
            "stazione", "cimitero", "campo", "orti", "nord", "sud", "est", "ovest", "alto", "basso", "alta", "bassa",
            "castel", "costa", "rocca", "pieve", "croce", "rio", "regione", "vecchio", "nuovo", "grande", "piccolo",
            "alluvioni", "cai", "dell");

    /** The article before a name ("Piazza della Libertà", written "Piazza Libertà"), left out as often as not. */
    private static final java.util.Set<String> ARTICLES = java.util.Set.of("il", "lo", "la", "i", "gli", "le", "l",
            "del", "dello", "della", "dell", "dei", "degli", "delle", "di", "d");

    /** Numbers written as words: "Via Quattro Martiri" is not "Via Martiri" (Via dei Martiri). */
    private static final java.util.regex.Pattern NUMBER_WORD = java.util.regex.Pattern.compile("uno|due|tre"
            + "|quattro|cinque|sei|sette|otto|nove|dieci|undici|dodici|tredici|quattordici|quindici|sedici|diciassette"
            + "|diciotto|diciannove|cento|mille|(?:vent|trent|quarant|cinquant|sessant|settant|ottant|novant)[ia]?"
            + "(?:uno|due|tre|quattro|cinque|sei|sette|otto|nove)?");

    private static boolean givenNames(String words) {
        for (String word : words.split(" ")) {
            if (word.isEmpty() || NOT_GIVEN_NAMES.contains(word) || !Character.isLetter(word.charAt(0))
                    || NUMBER_WORD.matcher(word).matches()) {
                return false;
            }
        }
        return true;
    }

    /** The districts and hamlets of a city, in the form street names carry them ("spinetta marengo"). */
    private static List<String> districtsOf(Connection c, String cityNorm) {
        try (PreparedStatement s = c.prepareStatement("SELECT district FROM address_district WHERE city_norm = ?")) {
            s.setString(1, cityNorm);
            var names = new java.util.ArrayList<String>();
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    String name = AddressNormaliser.streetName(rows.getString(1));
                    if (!name.isEmpty()) {
                        names.add(name);
                    }
                }
            }
            return names;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How sure a street is whose name is the one written and whose type is not ("Via" for a Piazza). */
    static final double OTHER_TYPE = 0.85;

    /** How much less sure an answer is when the address fits several streets equally ("Marengo 10", two cities). */
    static final double AMBIGUOUS = 0.6;

    /**
     * Of several streets the address names as well (Via Marengo and Spalto Marengo for "Marengo 3A"; Via Roma of two
     * cities when none is written), the one that has the house number: a number only one of them has tells them
     * apart. Otherwise the largest, and the answer says it is unsure.
     */
    private static Street choose(Connection c, List<Street> candidates, String number) {
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        if (!number.isEmpty()) {
            var withNumber = new java.util.ArrayList<Street>();
            for (Street candidate : candidates) {
                try {
                    if (houseNumber(c, candidate, number).isPresent()) {
                        withNumber.add(candidate);
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
            if (withNumber.size() == 1) {
                return withNumber.get(0);
            }
            if (!withNumber.isEmpty()) {
                return surest(withNumber).lessSure(AMBIGUOUS);
            }
        }
        return surest(candidates).lessSure(AMBIGUOUS);
    }

    /** The first of the candidates the address fits best (a street of the type written before one of another). */
    private static Street surest(List<Street> candidates) {
        Street best = candidates.get(0);
        for (Street candidate : candidates) {
            if (candidate.confidence() > best.confidence()) {
                best = candidate;
            }
        }
        return best;
    }

    /** A province's initials after the city's name ("alessandria al", from "Alessandria (AL)"). */
    private static final java.util.regex.Pattern PROVINCE = java.util.regex.Pattern.compile(" [a-z]{2}$");

    /**
     * A house number with a suffix, after a slash ("24/1", "10/12") or a letter or word ("90h", "12bis"): the
     * building's number in group 1.
     */
    private static final java.util.regex.Pattern BUILDING = java.util.regex.Pattern.compile("(\\d+)(?:/.+|[a-z]+)");

    /**
     * The known city whose name is closest to {@code city} by trigram similarity, when it is at least
     * {@value #CITY_SIMILARITY} and no other city is as close.
     */
    private static Optional<String> closestCity(Connection c, String city) {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT city_norm, similarity(city_norm, ?) AS score
                FROM (SELECT DISTINCT city_norm FROM address_street WHERE city_norm <> '') cities
                ORDER BY score DESC, city_norm LIMIT 2""")) {
            s.setString(1, city);
            try (ResultSet rows = s.executeQuery()) {
                if (!rows.next() || rows.getDouble(2) < CITY_SIMILARITY) {
                    return Optional.empty();
                }
                String best = rows.getString(1);
                double score = rows.getDouble(2);
                return rows.next() && rows.getDouble(2) >= score ? Optional.empty() : Optional.of(best);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How alike a misspelt city's name must be to a known one ("alessandira" and "alessandria": 0.5). */
    static final double CITY_SIMILARITY = 0.5;

    /** True when the gazetteer has streets in this city ("": streets under no city name, a register without it). */
    private static boolean knownCity(Connection c, String city) {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT EXISTS (SELECT 1 FROM address_street WHERE city_norm = ?)")) {
            s.setString(1, city);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The streets (and cities) the address names exactly, the largest first (a few at most). */
    private List<Street> exactStreets(Connection c, Parsed parsed) {
        String sql = parsed.streetType().isEmpty()
                ? "SELECT street_norm, city_norm FROM address_street WHERE name_norm = ? AND (? = '' OR city_norm = ?)"
                  + " AND (? = '' OR postcode = ?) GROUP BY 1, 2 ORDER BY sum(addresses) DESC, 1, 2 LIMIT 5"
                : "SELECT street_norm, city_norm FROM address_street WHERE street_norm = ?"
                  + " AND (? = '' OR city_norm = ?) AND (? = '' OR postcode = ?)"
                  + " GROUP BY 1, 2 ORDER BY sum(addresses) DESC, 1, 2 LIMIT 5";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parsed.streetType().isEmpty() ? parsed.street() : parsed.fullStreet());
            bindPlace(s, 2, parsed);
            var streets = new java.util.ArrayList<Street>();
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    streets.add(new Street(rows.getString(1), rows.getString(2),
                            parsed.streetType().isEmpty() ? 0.95 : 1.0));
                }
            }
            return streets;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private Optional<Street> closestStreet(Connection c, Parsed parsed) {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT street_norm, city_norm, similarity(name_norm, ?) AS score,
                       (? = '' OR street_norm LIKE ? || ' %') AS same_type
                FROM address_street WHERE name_norm % ? AND (? = '' OR city_norm = ?) AND (? = '' OR postcode = ?)
                GROUP BY street_norm, city_norm, name_norm
                ORDER BY score DESC, same_type DESC, sum(addresses) DESC LIMIT 5""")) {
            s.setString(1, parsed.street());
            s.setString(2, parsed.streetType());
            s.setString(3, parsed.streetType());
            s.setString(4, parsed.street());
            bindPlace(s, 5, parsed);
            var ties = new java.util.ArrayList<Street>();
            try (ResultSet rows = s.executeQuery()) {
                if (!rows.next() || rows.getDouble(3) < minSimilarity) {
                    return Optional.empty();
                }
                double score = rows.getDouble(3);
                boolean sameType = rows.getBoolean(4);
                do {
                    ties.add(new Street(rows.getString(1), rows.getString(2), score * (sameType ? 0.95 : 0.85)));
                } while (rows.next() && rows.getDouble(3) == score && rows.getBoolean(4) == sameType);
            }
            // as alike as each other ("Viale Marengo" for Via Marengo and Spalto Marengo): the house number tells
            // them apart, or the answer says it is unsure, as for an exact name
            return Optional.of(choose(c, ties, parsed.number()));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A city to look streets up in: those under no city name only (not "any city", which an empty city means). */
    private static final String UNNAMED = "\u0000";

    private static void bindPlace(PreparedStatement s, int from, Parsed parsed) throws SQLException {
        // the queries read (? = '' OR city_norm = ?): an empty city is any city; UNNAMED is city_norm = '' alone
        boolean unnamed = UNNAMED.equals(parsed.city());
        s.setString(from, unnamed ? "unnamed" : parsed.city());
        s.setString(from + 1, unnamed ? "" : parsed.city());
        s.setString(from + 2, parsed.postcode());
        s.setString(from + 3, parsed.postcode());
    }

    private static Optional<Geocoded> houseNumber(Connection c, Street street, String number) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT street_type, street, number, postcode, city, ST_X(geom), ST_Y(geom) FROM address
                WHERE street_norm = ? AND city_norm = ? AND number_norm = ?
                ORDER BY district IS NOT DISTINCT FROM ? DESC, source, source_key LIMIT 1""")) {
            s.setString(1, street.streetNorm());
            s.setString(2, street.cityNorm());
            s.setString(3, number);
            s.setString(4, street.district());
            try (ResultSet rows = s.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                String address = (rows.getString(1) + " " + rows.getString(2)).trim() + " " + rows.getString(3)
                        + place(rows.getString(4), rows.getString(5));
                return Optional.of(new Geocoded(GeocodingStatus.RESOLVED, new LonLat(rows.getDouble(6),
                        rows.getDouble(7)), address, round(street.confidence()), null));
            }
        }
    }

    private static Geocoded centroid(Connection c, Street street, String reason) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT min(street_type), min(street), min(postcode), min(city),
                       ST_X(ST_Centroid(ST_Collect(geom))), ST_Y(ST_Centroid(ST_Collect(geom)))
                FROM address WHERE street_norm = ? AND city_norm = ?""")) {
            s.setString(1, street.streetNorm());
            s.setString(2, street.cityNorm());
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                if (rows.getObject(5) == null) {
                    // a street still counted but without a house number left (rows deleted by hand): nowhere to put
                    // the place, and no point in the Gulf of Guinea
                    return unresolved("NO_SUCH_STREET");
                }
                String address = (rows.getString(1) + " " + rows.getString(2)).trim()
                        + place(rows.getString(3), rows.getString(4));
                return new Geocoded(GeocodingStatus.STREET_CENTROID, new LonLat(rows.getDouble(5), rows.getDouble(6)),
                        address, round(street.confidence() * 0.5), reason);
            }
        }
    }

    private static String place(String postcode, String city) {
        String place = ((postcode == null ? "" : postcode) + " " + (city == null ? "" : city)).trim();
        return place.isEmpty() ? "" : ", " + place;
    }

    private static double round(double confidence) {
        return Math.round(confidence * 100) / 100.0;
    }

    private static Geocoded unresolved(String reason) {
        return new Geocoded(GeocodingStatus.UNRESOLVED, null, null, 0, reason);
    }
}
