package org.allerta.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.allerta.contracts.Json;

/**
 * Synthetic citizens of a real city: fictitious names, numbers ({@code +39 300 55x xxxx}, a range no operator
 * assigns) and e-mails ({@code example.org}), living at real house numbers of the municipal register. Drawn from a
 * fixed seed, so the same run always registers the same people with the same {@code externalId}s.
 *
 * <p>Mixed on purpose: Italian and English speakers; SMS, e-mail, push, WhatsApp and Telegram, some with two
 * channels; different interests; some with quiet hours covering the moment of registration; a few prioritised
 * (medically dependent, with consent); some with a second place (work or a child's school); a few addresses written
 * the way people write them (abbreviated, lower case, without accents, misspelt) and one that cannot be found.
 */
public final class Citizens {

    /** An address of the register. */
    public record Address(String streetType, String street, String number, String district) {

        /** As people write it: "Via Dazio 90/H, Alessandria". */
        public String written(String city) {
            return streetType + " " + street + " " + number + ", " + city;
        }
    }

    /** A generated citizen: the registration body and what the demo needs to know about it. */
    public record Citizen(String externalId, ObjectNode registration, String homeDistrict, boolean misspelt,
                          boolean unfindable) {
    }

    private static final String[] CHILD_IT = {"Tommaso", "Ginevra", "Leonardo", "Aurora", "Edoardo", "Beatrice",
        "Riccardo", "Vittoria"};
    private static final String[] CHILD_EN = {"Oliver", "Amelia", "Harry", "Isla"};
    private static final String[] FIRST_IT = {"Giulia", "Marco", "Francesca", "Luca", "Chiara", "Matteo", "Sara",
        "Alessandro", "Elena", "Davide", "Martina", "Paolo", "Anna", "Giorgio", "Silvia", "Andrea", "Laura",
        "Stefano", "Valentina", "Simone", "Federica", "Riccardo", "Marta", "Lorenzo", "Ilaria"};
    private static final String[] LAST_IT = {"Rossi", "Bianchi", "Ferrari", "Esposito", "Romano", "Colombo",
        "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "Costa", "Giordano", "Mancini", "Rizzo", "Lombardi",
        "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara"};
    private static final String[] FIRST_EN = {"Emily", "James", "Olivia", "Thomas", "Sophie", "Daniel", "Grace",
        "Samuel", "Hannah", "Oliver"};
    private static final String[] LAST_EN = {"Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker",
        "Wright", "Hughes", "Green"};
    private static final String UNFINDABLE = "Via dei Cento Campanili 999, Alessandria";

    private Citizens() {
    }

    /** Reads the register (Italian "numeri civici" format, {@code ;}-separated) into addresses per district. */
    public static Map<String, List<Address>> register(Path file) throws IOException {
        Map<String, List<Address>> byDistrict = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = in.readLine();
            if (header == null) {
                throw new IOException(file + " is empty");
            }
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(";", -1);
                if (f.length < 11 || f[5].isBlank()) {
                    continue;
                }
                String number = f[6].isBlank() ? f[5] : f[5] + "/" + f[6];
                byDistrict.computeIfAbsent(f[4], d -> new ArrayList<>()).add(new Address(f[1], f[2], number, f[4]));
            }
        }
        return byDistrict;
    }

    /**
     * {@code count} citizens: {@code shareFirst} of them at home in {@code first}, {@code shareNext} in
     * {@code next}, the others anywhere in the city.
     *
     * @param consentSource with a value, channels are registered as already verified (the admin's bulk path)
     */
    public static List<Citizen> generate(Map<String, List<Address>> register, String city, int count, long seed,
                                         String first, double shareFirst, String next, double shareNext,
                                         String consentSource, ZonedDateTime now) {
        Random random = new Random(seed);
        List<String> districts = register.keySet().stream().sorted().toList();
        List<Citizen> citizens = new ArrayList<>(count);
        // quiet hours that cover the moment of the first registration, in the city's time
        LocalTime quietFrom = now.toLocalTime().truncatedTo(ChronoUnit.HOURS).minusHours(1);
        LocalTime quietTo = now.toLocalTime().truncatedTo(ChronoUnit.HOURS).plusHours(3);
        for (int i = 0; i < count; i++) {
            double r = random.nextDouble();
            String homeDistrict = r < shareFirst ? first : r < shareFirst + shareNext ? next
                    : districts.get(random.nextInt(districts.size()));
            List<Address> pool = register.getOrDefault(homeDistrict, List.of());
            if (pool.isEmpty()) {
                homeDistrict = districts.get(random.nextInt(districts.size()));
                pool = register.get(homeDistrict);
            }
            Address home = pool.get(random.nextInt(pool.size()));
            boolean english = random.nextDouble() < 0.25;
            String firstName = english ? FIRST_EN[random.nextInt(FIRST_EN.length)]
                    : FIRST_IT[random.nextInt(FIRST_IT.length)];
            String lastName = english ? LAST_EN[random.nextInt(LAST_EN.length)]
                    : LAST_IT[random.nextInt(LAST_IT.length)];
            String externalId = String.format("demo-%05d", i);

            ObjectNode body = Json.mapper().createObjectNode();
            body.put("externalId", externalId);
            body.put("name", firstName + " " + lastName);
            body.put("language", english ? "en" : "it");
            ArrayNode channels = body.putArray("channels");
            double c = random.nextDouble();
            String phone = String.format("+3930055%05d", i);
            String email = (firstName + "." + lastName + "." + i + "@example.org").toLowerCase();
            if (c < 0.40) {
                channel(channels, "SMS", phone, consentSource);
            } else if (c < 0.72) {
                channel(channels, "EMAIL", email, consentSource);
            } else if (c < 0.82) {
                channel(channels, "SMS", phone, consentSource);
                channel(channels, "EMAIL", email, consentSource);
            } else if (c < 0.90) {
                channel(channels, "PUSH", "demo-device-" + Integer.toHexString(0x10000 + i), consentSource);
            } else if (c < 0.95) {
                channel(channels, "WHATSAPP", phone, consentSource);
            } else {
                channel(channels, "TELEGRAM", String.valueOf(700_000_000L + i), consentSource);
            }

            ArrayNode places = body.putArray("places");
            boolean misspelt = i % 97 == 13;
            boolean unfindable = i == 42;
            String written = unfindable ? UNFINDABLE
                    : misspelt ? misspell(home, city, random) : home.written(city);
            ObjectNode place = places.addObject();
            place.put("label", english ? "Home" : "Casa");
            place.put("category", "HOME");
            place.put("address", written);
            ArrayNode profile = body.putArray("profile");
            profile.add("RESIDENT");
            if (random.nextDouble() < 0.15) {
                boolean school = random.nextBoolean();
                String otherDistrict = districts.get(random.nextInt(districts.size()));
                Address other = register.get(otherDistrict).get(random.nextInt(register.get(otherDistrict).size()));
                ObjectNode second = places.addObject();
                // a school is named as the parent calls it, after the child (and the notice says it so)
                String child = english ? CHILD_EN[i % CHILD_EN.length] : CHILD_IT[i % CHILD_IT.length];
                second.put("label", school ? (english ? child + "'s school" : "Scuola di " + child)
                        : (english ? "Work" : "Lavoro"));
                second.put("category", school ? "SCHOOL" : "WORK");
                second.put("address", other.written(city));
                profile.add(school ? "PARENT" : "WORKER");
            }

            ArrayNode interests = body.putArray("interests");
            if (random.nextDouble() < 0.9) {
                interests.add("POWER_OUTAGE");
            }
            if (random.nextDouble() < 0.6) {
                interests.add("WATER_OUTAGE");
            }
            if (random.nextDouble() < 0.5) {
                interests.add("ROAD_CLEARING");
            }
            if (random.nextDouble() < 0.5) {
                interests.add("CIVIL_PROTECTION");
            }
            if (profile.toString().contains("PARENT")) {
                interests.add("SCHOOL_CLOSURE");
            }
            if (interests.isEmpty()) {
                interests.add("POWER_OUTAGE");
            }
            if (random.nextDouble() < 0.10) {
                ObjectNode quiet = body.putObject("quietHours");
                quiet.put("from", quietFrom.toString());
                quiet.put("to", quietTo.toString());
                quiet.put("zone", now.getZone().getId());
            }
            if (random.nextDouble() < 0.03) {
                ObjectNode priority = body.putObject("priority");
                priority.put("medicallyDependent", true);
                ObjectNode consent = priority.putObject("consent");
                consent.put("at", now.toInstant().truncatedTo(ChronoUnit.SECONDS).toString());
                consent.put("wording", "demo-v1");
            }
            citizens.add(new Citizen(externalId, body, unfindable ? "" : home.district(), misspelt, unfindable));
        }
        return citizens;
    }

    /** The default zone of the demo's city. */
    public static ZoneId zone() {
        return ZoneId.of("Europe/Rome");
    }

    private static void channel(ArrayNode channels, String type, String address, String consentSource) {
        ObjectNode channel = channels.addObject();
        channel.put("type", type);
        channel.put("address", address);
        if (consentSource != null) {
            channel.put("verified", true);
            channel.put("consentSource", consentSource);
        }
    }

    /** The address as a hurried person types it: abbreviated type, lower case, no accents, or one letter swapped. */
    static String misspell(Address a, String city, Random random) {
        String type = switch (a.streetType().toLowerCase()) {
            case "via" -> "V.";
            case "piazza" -> "P.za";
            case "corso" -> "C.so";
            case "viale" -> "V.le";
            case "strada" -> "Str.";
            case "piazzale" -> "P.le";
            case "largo" -> "L.go";
            default -> a.streetType();
        };
        String street = a.street();
        switch (random.nextInt(3)) {
            case 0 -> street = street.toLowerCase();
            case 1 -> street = java.text.Normalizer.normalize(street, java.text.Normalizer.Form.NFD)
                    .replaceAll("\\p{M}", "").replace("'", " ");
            default -> {
                int at = street.length() > 5 ? 2 + random.nextInt(street.length() - 4) : -1;
                if (at > 0 && Character.isLetter(street.charAt(at)) && Character.isLetter(street.charAt(at + 1))) {
                    street = street.substring(0, at) + street.charAt(at + 1) + street.charAt(at)
                            + street.substring(at + 2);
                }
            }
        }
        return type + " " + street + " " + a.number().replace("/", "") + ", " + city.toLowerCase();
    }
}
