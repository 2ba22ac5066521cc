package org.allerta.contracts;

import java.time.Instant;

/**
 * The snow-clearing zone an {@code ROAD_CLEARING} event is about.
 *
 * @param zoneId     the zone's id, as registered by its publisher
 * @param name       the zone's name ("Zona 4 - Cristo")
 * @param status     the clearing status this revision reports
 * @param note       optional note from the crew
 * @param expectedAt optional time the crew expects to reach the next status
 */
public record ZoneRef(String zoneId, String name, ZoneStatus status, String note, Instant expectedAt) {
}
