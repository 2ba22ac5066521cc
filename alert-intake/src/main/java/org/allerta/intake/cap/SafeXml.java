package org.allerta.intake.cap;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;
import org.w3c.dom.Document;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Parses publishers' XML without ever resolving anything: any DOCTYPE is refused (so no DTD, no entity, internal or
 * external, and no entity expansion), external DTDs and schemas are not loaded, XInclude is off. The declared
 * encoding (UTF-8, ISO-8859-1...) is honoured because the parser reads the raw bytes. Elements nested more than
 * {@value #MAX_DEPTH} deep are refused.
 */
public final class SafeXml {

    /** Elements nested deeper than this are refused. */
    static final String MAX_DEPTH = "100";
    private static final DocumentBuilderFactory FACTORY = factory();

    private SafeXml() {
    }

    private static DocumentBuilderFactory factory() {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            // a CAP alert nests five deep; thousands of nested elements would overflow the stack of any reader
            factory.setAttribute("http://www.oracle.com/xml/jaxp/properties/maxElementDepth", MAX_DEPTH);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            return factory;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the XML parser cannot be made safe", e);
        }
    }

    /** The document, or a 400 problem saying why it cannot be read. */
    public static Document parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw ProblemException.unparseable("The request body is empty.");
        }
        try {
            DocumentBuilder builder = FACTORY.newDocumentBuilder();
            builder.setErrorHandler(SILENT);
            builder.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entities are not resolved");
            });
            return builder.parse(new ByteArrayInputStream(body));
        } catch (SAXParseException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("DOCTYPE")) {
                throw new ProblemException(Problem.of(400, "xml-doctype-not-allowed", "DOCTYPE not allowed",
                        "The document declares a DOCTYPE; DTDs and entities are refused for safety. Remove it."));
            }
            throw ProblemException.unparseable("The body is not well-formed XML (line " + e.getLineNumber()
                    + ", column " + e.getColumnNumber() + "): " + message);
        } catch (SAXException | IOException e) {
            throw ProblemException.unparseable("The body is not well-formed XML: " + e.getMessage());
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final ErrorHandler SILENT = new ErrorHandler() {
        @Override
        public void warning(SAXParseException exception) {
            // not reported to the console
        }

        @Override
        public void error(SAXParseException exception) throws SAXException {
            throw exception;
        }

        @Override
        public void fatalError(SAXParseException exception) throws SAXException {
            throw exception;
        }
    };
}
