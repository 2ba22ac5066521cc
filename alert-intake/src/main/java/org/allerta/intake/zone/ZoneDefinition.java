package org.allerta.intake.zone;

import org.allerta.service.geometry.OutageArea;

/** A zone's name and validated area, with the pointer where it was read (for problems). */
public record ZoneDefinition(String name, OutageArea area, String where) {
}
