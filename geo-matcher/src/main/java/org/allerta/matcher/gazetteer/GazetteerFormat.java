package org.allerta.matcher.gazetteer;

import java.util.Locale;
import java.util.Map;

/** The address files Allerta imports. */
public enum GazetteerFormat {

    /**
     * Italian municipal "numeri civici", as Alessandria publishes them: {@code ;}-separated, header
     * CodiceVia;DUG;DUF;CAP;QuartiereSobborgo;Civico;Esponente;...;CoordX;CoordY, coordinates in the file's SRID
     * (EPSG:3003 for Alessandria).
     */
    CIVICI(';', Map.of("streetCode", "codicevia", "type", "dug", "street", "duf", "postcode", "cap",
            "district", "quartieresobborgo", "number", "civico", "suffix", "esponente", "x", "coordx", "y", "coordy")),

    /**
     * OpenAddresses CSV: {@code ,}-separated, header LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE. The
     * NUMBER carries any suffix ("90/H", "12 bis"); UNIT is a flat or staircase inside the building, which shares the
     * building's point and is not an address of its own; DISTRICT is the county or province and REGION the region,
     * not a city's neighbourhood, so neither is read.
     */
    OPENADDRESSES(',', Map.of("x", "lon", "y", "lat", "number", "number", "street", "street", "unit", "unit",
            "city", "city", "postcode", "postcode"));

    private final char separator;
    /** Allerta's field → the column's name in the header (lower case). */
    private final Map<String, String> columns;

    GazetteerFormat(char separator, Map<String, String> columns) {
        this.separator = separator;
        this.columns = columns;
    }

    public char separator() {
        return separator;
    }

    public Map<String, String> columns() {
        return columns;
    }

    /** "civici" or "openaddresses", any case. */
    public static GazetteerFormat of(String name) {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
}
