/**
 * Active ISO-4217 currencies (list one), including the 2024–2025 changes:
 * ZWG replaced ZWL, XCG replaced ANG; SLL, HRK and CUC are withdrawn.
 *
 * Only money a customer can pay in: fund codes (BOV, CHE, CHW, CLF, COU, MXV,
 * USN, UYI, UYW), precious metals (XAU, XAG, XPD, XPT), drawing and settlement
 * units (XDR, XSU, XUA, XBA–XBD) and XTS/XXX are left out on purpose.
 * Update this list when ISO publishes an amendment.
 */
const activeCurrencyCodes: ReadonlySet<string> = new Set(
  `AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
   CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
   GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD
   KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN
   NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP
   SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES
   VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG`.split(/\s+/),
);

export function isActiveCurrency(code: string): boolean {
  return activeCurrencyCodes.has(code);
}
