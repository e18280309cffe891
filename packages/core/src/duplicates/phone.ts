import {
  type CountryCode,
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  Metadata,
  type MetadataJson,
  parsePhoneNumberFromString,
  type PhoneNumber,
} from "libphonenumber-js/core";
// The metadata the package's default entry point parses with ("min"): the same object, not a copy.
import metadata from "libphonenumber-js/min/metadata";

/**
 * The metadata with only the first ("main") country of each calling code. Where a calling code
 * is shared (+1: the US, Canada and 23 more), a parse tries each country's number-type patterns
 * in turn to tell which one the number is, compiling each pattern anew every time: for +1 that
 * is most of what a parse costs and allocates. The key needs only the calling code, the national
 * number and whether that number's length is possible, and the first two are read before the
 * country is looked for (with the calling code's main country, or the default country, as the
 * plan), so they are the same whichever country the search settles on.
 */
const MAIN_COUNTRY_ONLY: MetadataJson = {
  ...metadata,
  country_calling_codes: Object.fromEntries(
    Object.entries(metadata.country_calling_codes).map(([code, countries]) => [code, countries.slice(0, 1)]),
  ),
};

/**
 * Per shared calling code, the national number lengths possible in every one of its countries
 * (possible whichever country the full parse picks) and those possible in at least one (a length
 * in the second and not the first depends on the country: the full parse decides).
 */
const SHARED_CODE_LENGTHS = new Map<string, { everywhere: Set<number>; somewhere: Set<number> }>();
{
  const plans = new Metadata(metadata);
  for (const [code, countries] of Object.entries(metadata.country_calling_codes)) {
    if (countries.length < 2) continue;
    const lengths = countries.map((country) => {
      plans.selectNumberingPlan(country);
      return new Set(plans.numberingPlan?.possibleLengths() ?? []);
    });
    SHARED_CODE_LENGTHS.set(code, {
      everywhere: new Set([...lengths[0]!].filter((length) => lengths.every((set) => set.has(length)))),
      somewhere: new Set(lengths.flatMap((set) => [...set])),
    });
  }
}

/**
 * The number in E.164 (`+4915112345678`) when it can be read as one (with a country code, or
 * with `defaultCountry`); otherwise its digits, so the same digits written differently still
 * match. Null when there are too few digits to mean anything.
 *
 * The same answer as `parsePhoneNumberFromString(phone, { defaultCountry })` → `isPossible()` →
 * `number`, at a fraction of the cost for numbers of a shared calling code (see above).
 */
export function phoneMatchKey(phone: string, defaultCountry?: CountryCode): string | null {
  const digits = phone.replace(/\D/g, "");
  if (digits.length < 6) return null;
  const options = defaultCountry ? { defaultCountry } : {};
  let parsed: PhoneNumber | undefined;
  try {
    parsed = parsePhoneNumberFromString(phone, options, MAIN_COUNTRY_ONLY);
    const shared = parsed && SHARED_CODE_LENGTHS.get(parsed.countryCallingCode);
    if (shared && !shared.everywhere.has(parsed!.nationalNumber.length)) {
      // Possible in none of the code's countries: not possible whichever the full parse picks.
      if (!shared.somewhere.has(parsed!.nationalNumber.length)) return `digits:${digits}`;
      parsed = parsePhoneNumberFromString(phone, options, metadata);
    }
    if (parsed?.isPossible()) return parsed.number;
  } catch {
    // Unreadable as a number: fall back to its digits.
  }
  return `digits:${digits}`;
}

/** Whether phone numbers of this country (ISO 3166-1 alpha-2) can be read: it has a numbering plan. */
export function isPhoneCountry(code: string): code is CountryCode {
  return isSupportedCountry(code as CountryCode, metadata);
}

/** Every country with a numbering plan and its calling code ("DE" → "49"), by code. */
export function phoneCountries(): { code: CountryCode; callingCode: string }[] {
  return getCountries(metadata)
    .map((code) => ({ code, callingCode: getCountryCallingCode(code, metadata) as string }))
    .sort((a, b) => (a.code < b.code ? -1 : 1));
}
