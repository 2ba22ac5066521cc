package org.allerta.intake.publisher;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.allerta.contracts.EventKind;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;
import org.locationtech.jts.io.WKBWriter;
import org.allerta.service.geometry.AreaValidator;

/** The {@code publisher} table. */
@ApplicationScoped
public class PublisherRepository {

    private static final String COLUMNS = "publisher_id, name, api_key_sha256, signing_secret, allowed_kinds,"
            + " ST_AsBinary(territory), area_limit_km2, test_mode, active, updated_at";

    public Optional<PublisherRecord> byId(Connection connection, String publisherId) throws SQLException {
        return one(connection, "SELECT " + COLUMNS + " FROM publisher WHERE publisher_id = ?", publisherId);
    }

    public Optional<PublisherRecord> byKeyHash(Connection connection, String sha256) throws SQLException {
        return one(connection, "SELECT " + COLUMNS + " FROM publisher WHERE api_key_sha256 = ? AND active", sha256);
    }

    public List<PublisherRecord> all(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM publisher ORDER BY publisher_id");
             ResultSet rows = statement.executeQuery()) {
            var list = new ArrayList<PublisherRecord>();
            while (rows.next()) {
                list.add(map(rows));
            }
            return list;
        }
    }

    /** Inserts or replaces a publisher. */
    public void upsert(Connection connection, PublisherRecord p) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                INSERT INTO publisher (publisher_id, name, api_key_sha256, signing_secret, allowed_kinds, territory,
                                       area_limit_km2, test_mode, active, updated_at)
                VALUES (?, ?, ?, ?, ?, ST_Multi(ST_GeomFromWKB(?, 4326)), ?, ?, ?, ?)
                ON CONFLICT (publisher_id) DO UPDATE SET name = excluded.name,
                    api_key_sha256 = excluded.api_key_sha256, signing_secret = excluded.signing_secret,
                    allowed_kinds = excluded.allowed_kinds, territory = excluded.territory,
                    area_limit_km2 = excluded.area_limit_km2, test_mode = excluded.test_mode,
                    active = excluded.active, updated_at = excluded.updated_at
                """)) {
            statement.setString(1, p.publisherId());
            statement.setString(2, p.name());
            statement.setString(3, p.apiKeySha256());
            statement.setBytes(4, p.sealedSigningSecret());
            statement.setArray(5, connection.createArrayOf("text",
                    p.allowedKinds().stream().map(Enum::name).sorted().toArray()));
            statement.setBytes(6, p.territory() == null ? null : new WKBWriter().write(p.territory()));
            statement.setDouble(7, p.areaLimitKm2());
            statement.setBoolean(8, p.testMode());
            statement.setBoolean(9, p.active());
            statement.setTimestamp(10, Timestamp.from(p.updatedAt()));
            statement.executeUpdate();
        }
    }

    private Optional<PublisherRecord> one(Connection connection, String sql, String parameter) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(map(rows)) : Optional.empty();
            }
        }
    }

    private static PublisherRecord map(ResultSet rows) throws SQLException {
        Set<EventKind> kinds = EnumSet.noneOf(EventKind.class);
        Array array = rows.getArray(5);
        for (Object kind : (Object[]) array.getArray()) {
            kinds.add(EventKind.valueOf((String) kind));
        }
        byte[] wkb = rows.getBytes(6);
        Geometry territory = null;
        if (wkb != null) {
            try {
                territory = new WKBReader(AreaValidator.FACTORY).read(wkb);
                territory.setSRID(AreaValidator.WGS84);
                if (territory instanceof MultiPolygon multi && multi.getNumGeometries() == 1) {
                    territory = (Polygon) multi.getGeometryN(0);
                }
            } catch (ParseException e) {
                throw new SQLException("unreadable territory of " + rows.getString(1), e);
            }
        }
        return new PublisherRecord(rows.getString(1), rows.getString(2), rows.getString(3), rows.getBytes(4), kinds,
                territory, rows.getDouble(7), rows.getBoolean(8), rows.getBoolean(9),
                rows.getTimestamp(10).toInstant());
    }
}
