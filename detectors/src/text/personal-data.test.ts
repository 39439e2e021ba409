import { describe, expect, it } from 'vitest';
import {
  abaRoutingValid,
  cardIssuerPlausible,
  findPersonalData,
  ibanValid,
  luhnValid,
  personalDataKey,
} from './personal-data.js';

const kinds = (t: string) => findPersonalData(t).map((m) => m.kind);

describe('personal data', () => {
  it('checks card numbers with Luhn and bank accounts with mod-97', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('GB29NWBK60161331926819')).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
    expect(abaRoutingValid('021000021')).toBe(true);
    expect(abaRoutingValid('123456789')).toBe(false);
    expect(cardIssuerPlausible('4111111111111111')).toBe(true);
    expect(cardIssuerPlausible('378282246310005')).toBe(true);
    expect(cardIssuerPlausible('6035718212345675')).toBe(false);
    expect(cardIssuerPlausible('411111111111111')).toBe(false);
  });

  it('government ids, several phrasings and field-name styles', () => {
    for (const t of [
      'ID_number: 847261935',
      'national id number is 847261935',
      'nationalIdNumber=847261935',
      'SSN 219-09-9999',
      'My social security number: 219099999',
      'tax id: DE-4471-9921',
      "driver's license number D1234567",
      'Their SSN is 219-09-9999.',
    ])
      expect(kinds(t), t).toEqual(['government-id']);
  });

  it('passports, cards, accounts, dates of birth, home addresses and phones', () => {
    expect(kinds('passport_number: HGK137803')).toEqual(['passport']);
    expect(kinds('Passport No. 533380006')).toEqual(['passport']);
    expect(kinds('my passport number is X1234567')).toEqual(['passport']);
    expect(kinds('4111 1111 1111 1111')).toEqual(['card-number']);
    expect(kinds('credit_card_number: 4237-4252-7456-2574')).toEqual(['card-number']);
    expect(kinds('card ending 4111111111111111')).toEqual(['card-number']);
    expect(kinds('bank_account_number: 0789765432')).toEqual(['bank-account']);
    expect(kinds('pay to DE89 3704 0044 0532 0130 00 today')).toEqual(['bank-account']);
    expect(kinds('IBAN: US133000000121212121212')).toEqual(['bank-account']);
    expect(kinds('date_of_birth: 1985-03-14')).toEqual(['date-of-birth']);
    expect(kinds('She was born on 14 March 1985.')).toEqual(['date-of-birth']);
    expect(kinds('DOB 03/14/1985')).toEqual(['date-of-birth']);
    expect(kinds("street: '1234 Elm Street'")).toEqual(['home-address']);
    expect(kinds('Home address: Dalton Street 123, New York')).toEqual(['home-address']);
    expect(kinds('He lives at 221 Baker Street.')).toEqual(['home-address']);
    expect(kinds('mobile: +44 7700 900123')).toEqual(['phone']);
    expect(kinds('customer_phone: (555) 010-4477')).toEqual(['phone']);
  });

  it("account and phone numbers with a personal qualifier, a checksum, or in a person's record", () => {
    for (const t of [
      'bank_account_number: 0789765432',
      'my account number is 12345678',
      'Savings account 40012345 (joint)',
      'account_holder: Jane Doe\naccount_number: 31926819',
      "{'First Name': 'Emma', 'Last Name': 'Johnson', 'Bank Account Number': '0789765432'}",
      'routing number: 021000021',
      'Sort code 12-34-56',
      'IBAN: UK12345678901234567890',
    ])
      expect(kinds(t), t).toEqual(['bank-account']);
    expect(findPersonalData('ABA routing 021000021')[0]?.basis).toBe('checksum');
    for (const t of [
      'mobile: +44 7700 900123',
      'customer_phone: (555) 010-4477',
      'home phone 020 7946 0018',
      'my cell is 555-010-4477',
      'Call me on 07700 900123 after six.',
      'emergency_contact_phone: 415-555-0188',
      'WhatsApp +49 151 2345 6789',
      "{'First Name': 'Emma', 'Last Name': 'Johnson', 'Phone Number': '327-420-4923'}",
      'first_name: Ana\nlast_name: Ruiz\nphone: 612 555 0142',
    ])
      expect(kinds(t), t).toEqual(['phone']);
  });

  it('card numbers need Luhn and a network prefix and length, several networks', () => {
    for (const t of [
      '5555 5555 5555 4444',
      'Amex 3782 822463 10005',
      'cc_number=6011111111111117',
      'paid with card 3530111333300000',
      'card ending 4000001234567899',
    ])
      expect(kinds(t), t).toEqual(['card-number']);
  });

  it('benign look-alikes stay unlabelled: ids, amounts, timestamps, public addresses, random digits', () => {
    for (const t of [
      "id_: '34'\nid: 100045",
      'transaction 4111111111111112 amount 98.70',
      'timestamp: 2024-06-20 16:36:04.202055',
      'subject: Birthday Party\ntimestamp: 2024-06-20 17:21:48',
      'address: 123 Main Street, Paris',
      'Restaurant Le Baratin, 3 Rue Jouye-Rouve. Rating 4.8, price 30.00',
      'Order number 8812345678 shipped',
      'US133000000121212121212 sent 100.00',
      'Meeting at 12:00 on 2024-05-19 in Office 44A',
      'the packing list: passport, tickets, phone charger',
    ])
      expect(kinds(t), t).toEqual([]);
  });

  it('cloud and service account ids, customer ids and business lines stay unlabelled', () => {
    for (const t of [
      'AWS account 123456789012',
      'Your AWS account ID is 123456789012.',
      'arn:aws:iam::123456789012:role/deploy',
      'Account ID: 4829103',
      'Hi, my account ID is 4829103 and I cannot log in.',
      'account 48291037 has been suspended for non-payment',
      'Service account 1234567890 created in project 987654321',
      'GCP project number 123456789012',
      'Billing account: 0123-4567-8901',
      'Azure subscription account 12345678',
      'AWS customer account 123456789012',
      'Acct #: 88123456 (Acme Corp, net 30)',
      'routing number: 123456789',
    ])
      expect(kinds(t), t).toEqual([]);
    for (const t of [
      "Luigi's Trattoria. Phone: 415-555-0134",
      'Hotel Lutetia, 45 Bd Raspail. Tel: +33 1 49 54 46 00',
      'Call our support line at 1-800-555-0199',
      'Customer service phone: 1 800 555 0199',
      'Office phone: 020 7946 0958',
      'Reservations phone: +1 212 555 0100',
      'Fax: +1 212 555 0101',
      'phone_number: (555) 010-4477',
      'Contact: 415-555-0134 (front desk, 9-5)',
    ])
      expect(kinds(t), t).toEqual([]);
    for (const t of [
      'Gift card 6035 7182 1234 5678',
      'Loyalty card 6035 7182 1234 5675',
      'card number: 1234 5678 9012 3456',
      'Card ref 5555 5555 5555 4445',
      'reference 1234 1234 1234 1238',
      'card: 4111 1111 1111 1112',
    ])
      expect(kinds(t), t).toEqual([]);
  });

  it('keys agree across formatting', () => {
    const [a] = findPersonalData('card: 4111-1111-1111-1111');
    expect(a?.key).toBe(personalDataKey('4111 1111 1111 1111'));
  });
});
